import { placeholder } from "@projectx-effect/gateway"
export const x = placeholder + 1
