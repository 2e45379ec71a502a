var r="4.1.0";var e=r,n=()=>e;export{n as a};
