/** The `lux-serve` command (`lux serve …`): see cli-commands.ts. */
export async function main(argv: readonly string[]): Promise<number> {
  void argv;
  return 0;
}
