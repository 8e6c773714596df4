/** The empty handler of the cold-start benchmark: what Node's startup and an esbuild bundle cost alone. */
export const handler = async (): Promise<void> => {};
