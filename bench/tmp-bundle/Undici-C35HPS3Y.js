import"./chunk-FSRPMVAS.js";import o from"undici";export*from"undici";var t=o;export{t as default};
