import { Argument, type Command } from 'commander';
import type { CliRuntime } from '../runtime.js';

/** Every command path (`list projects`) with its subcommand names and options, for completion. */
function paths(command: Command, prefix = ''): { path: string; words: string[] }[] {
  const visible = command.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
  const words = [
    ...visible.flatMap((c) => [c.name(), ...c.aliases()]),
    ...command.options.flatMap((o) => [o.short, o.long].filter((x): x is string => Boolean(x))),
    '--help',
  ];
  const here = [{ path: prefix, words }];
  return here.concat(
    visible.flatMap((c) =>
      [c.name(), ...c.aliases()].flatMap((name) => paths(c, prefix ? `${prefix} ${name}` : name)),
    ),
  );
}

/** A bash completion script for the program (zsh loads it through bashcompinit). */
export function bashCompletion(program: Command, zsh = false): string {
  const all = paths(program);
  const cases = all
    .map(({ path, words }) => `    "${path}") words="${words.join(' ')}" ;;`)
    .join('\n');
  const known = all.map(({ path }) => `"${path}"`).join('|');
  return `${zsh ? '#compdef seqhub\nautoload -U +X bashcompinit && bashcompinit\n' : ''}# seqhub completion: eval "$(seqhub completion ${zsh ? 'zsh' : 'bash'})"
_seqhub() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" next w i words
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    if [[ -z "$path" ]]; then next="$w"; else next="$path $w"; fi
    case "$next" in
      ${known}) path="$next" ;;
    esac
  done
  case "$path" in
${cases}
    *) words="" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _seqhub seqhub
`;
}

/** `seqhub completion bash|zsh`. */
export function completionCommand(program: Command, rt: CliRuntime): void {
  program
    .command('completion')
    .description('print a shell completion script')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh']))
    .addHelpText(
      'after',
      '\nExamples:\n  eval "$(seqhub completion bash)"      # in ~/.bashrc\n  eval "$(seqhub completion zsh)"       # in ~/.zshrc',
    )
    .action((shell: string) => rt.out(bashCompletion(program, shell === 'zsh').trimEnd()));
}
