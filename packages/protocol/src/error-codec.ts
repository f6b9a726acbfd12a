/** How remote errors are turned into wire data and back (injected so protocol stays dependency-free). */
export interface ErrorCodec {
  encode(error: unknown): unknown;
  decode(wire: unknown): Error;
}

export const defaultErrorCodec: ErrorCodec = {
  encode: (e) => ({ name: (e as Error)?.name ?? "Error", message: (e as Error)?.message ?? String(e) }),
  decode: (w) => Object.assign(new Error((w as { message?: string }).message), w),
};
