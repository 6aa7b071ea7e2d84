/**
 * The completion functions oclif's autocomplete plugin writes complete
 * command names and flags from its cache. These additions put a dynamic
 * completer in front of them that asks `BIN __complete` (complete.ts) for
 * machine names, driver names and flag values, and hands everything else
 * back to oclif's function, or to the shell's file completion. They are
 * applied to the files the plugin has just written (hooks/completion.ts).
 */

/** Marks a file that already carries the dynamic completer. */
export const DYNAMIC_MARK = '# machine: dynamic completion';

/** The bin name as a shell function-name fragment (oclif uses it as is). */
function fn(bin: string): string {
  return bin.replace(/[^A-Za-z0-9_]/g, '_');
}

export function extendBash(script: string, bin: string): string {
  if (script.includes(DYNAMIC_MARK)) return script;
  const f = fn(bin);
  return `${script.replace(/\n*$/, '\n')}
${DYNAMIC_MARK}: machine names, driver names and flag values come from the CLI.
_${f}_dynamic_autocomplete()
{
  local cur="\${COMP_WORDS[COMP_CWORD]}" out code
  out="$(${bin} __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)"
  code=$?
  COMPREPLY=()
  case $code in
    0) local IFS=$'\\n'; COMPREPLY=($(compgen -W "$out" -- "$cur")) ;;
    2) local IFS=$'\\n'; COMPREPLY=($(compgen -f -- "$cur")) ;;
    *) _${f}_autocomplete ;;
  esac
}
complete -F _${f}_dynamic_autocomplete ${bin}
`;
}

/**
 * zsh autoloads the file as the body of _BIN: oclif's function becomes
 * _BIN_oclif, and _BIN asks the CLI first.
 */
export function extendZsh(script: string, bin: string): string {
  if (script.includes(DYNAMIC_MARK)) return script;
  const f = fn(bin);
  const definition = new RegExp(`^_${f}\\s*\\(\\)\\s*\\{`, 'm');
  const call = new RegExp(`\\n_${f}\\s*$`);
  // A layout we do not recognise is left as oclif wrote it: commands and flags still complete.
  if (!definition.test(script) || !call.test(script)) return script;
  const body = script.replace(definition, `_${f}_oclif() {`).replace(call, '\n');
  return `${body}
${DYNAMIC_MARK}: machine names, driver names and flag values come from the CLI.
_${f}() {
  local out code
  local -a candidates
  out="$(${bin} __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)"
  code=$?
  case $code in
    0) candidates=(\${(f)out}); compadd -a candidates ;;
    2) _files ;;
    *) _${f}_oclif ;;
  esac
}

_${f} "$@"
`;
}

export function extendPowerShell(script: string, bin: string): string {
  if (script.includes(DYNAMIC_MARK)) return script;
  const f = fn(bin);
  return `${script.replace(/\n*$/, '\n')}
${DYNAMIC_MARK}: machine names, driver names and flag values come from the CLI.
$${f}OclifCompleter = $scriptblock
$${f}DynamicCompleter = {
  param($WordToComplete, $CommandAst, $CursorPosition)
  $words = @($CommandAst.CommandElements | Select-Object -Skip 1 | ForEach-Object { $_.ToString() })
  if ($WordToComplete -eq "") { $words += "" }
  $out = & ${bin} __complete -- @words 2>$null
  switch ($LASTEXITCODE) {
    0 {
      $out | Where-Object { $_ -ne "" } | ForEach-Object {
        New-Object -Type System.Management.Automation.CompletionResult -ArgumentList $_, $_, "ParameterValue", $_
      }
    }
    2 { return }
    default { & $${f}OclifCompleter $WordToComplete $CommandAst $CursorPosition }
  }
}.GetNewClosure()
Register-ArgumentCompleter -Native -CommandName ${bin} -ScriptBlock $${f}DynamicCompleter
`;
}
