# bash completion for boxctl(8): verbs, options, and the names of the
# services of the running boxinit (asked over the control socket).
# Installed by `make install` as share/bash-completion/completions/boxctl.

_boxctl_services()
{
	# the first column of `boxctl status`, header skipped
	boxctl "$@" status 2>/dev/null | while read -r name _; do
		[ "$name" = NAME ] || printf '%s\n' "$name"
	done
}

_boxctl()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local verbs="status start stop restart log events boot top reload reboot poweroff halt"
	local opts="--socket --json --help"
	local sock=() verb="" i

	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--socket) sock=(--socket "${COMP_WORDS[i+1]}"); ((i++)) ;;
		-*) ;;
		*) [ -z "$verb" ] && verb=${COMP_WORDS[i]} ;;
		esac
	done
	case $prev in
	--socket|--svg)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	-n)
		return
		;;
	esac
	if [ -z "$verb" ]; then
		COMPREPLY=($(compgen -W "$verbs $opts" -- "$cur"))
		return
	fi
	case $verb in
	status|start|stop|restart|log)
		case $cur in
		-*) COMPREPLY=($(compgen -W "$opts -n -f" -- "$cur")) ;;
		*) COMPREPLY=($(compgen -W "$(_boxctl_services "${sock[@]}")" -- "$cur")) ;;
		esac
		;;
	events) COMPREPLY=($(compgen -W "-f --json" -- "$cur")) ;;
	boot) COMPREPLY=($(compgen -W "--svg --json" -- "$cur")) ;;
	top) COMPREPLY=($(compgen -W "--once" -- "$cur")) ;;
	esac
}
complete -F _boxctl boxctl
