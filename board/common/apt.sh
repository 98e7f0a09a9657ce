# shellcheck shell=sh disable=SC2034 # APT_LISTS: read by the scripts that source this one
# apt.sh - sourced by board/common/fetch-*.sh: apt for the board's SUITE.
#
# SUITE (board.conf; default: the host's own suite) names the Debian release
# the board's packages come from. The host's suite uses the host's apt as it
# is. Any other suite gets a private apt directory, build/apt-$SUITE/, with
# its own sources.list (the host's Debian mirror, "$SUITE $SUITE-updates" and
# "$SUITE-security", main), package lists and cache: the host's apt sources,
# lists and preferences are never changed. The archive keys are the host's
# debian-archive-keyring (Debian 12's holds the trixie keys), by Signed-By.
#
# After sourcing: apt_cache ARGS... / apt_get ARGS... run apt with the
# suite's options; APT_LISTS is the directory whose files change when the
# package lists do (for the callers' "resolved" caches); apt_update fetches
# the lists (root, or a writable build/ for a private suite).

host_suite() {
	# VERSION_CODENAME of the host (bookworm), from os-release.
	sed -n 's/^VERSION_CODENAME=//p' /etc/os-release 2>/dev/null | tr -d '"' | head -n 1
}

# The host's Debian mirror: the first deb.debian.org-like "URIs:" (deb822) or
# "deb URI" line that serves /debian (not -security), else deb.debian.org.
host_mirror() {
	m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '$1 == "URIs:" && $2 ~ /\/debian\/?$/ { print $2; exit }')
	[ -n "$m" ] || m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\// ) { if ($i ~ /\/debian\/?$/) print $i; break } }' |
		head -n 1)
	printf '%s\n' "${m:-http://deb.debian.org/debian}"
}

SUITE=${SUITE:-$(host_suite)}
APT_OPTS=
APT_LISTS=/var/lib/apt/lists
if [ -n "$SUITE" ] && [ "$SUITE" != "$(host_suite)" ]; then
	APT_DIR=$(pwd)/build/apt-$SUITE
	APT_LISTS=$APT_DIR/lists
	KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
	mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial" "$APT_DIR/etc/parts"
	mirror=$(host_mirror)
	{
		echo "deb [signed-by=$KEYRING] $mirror $SUITE main"
		echo "deb [signed-by=$KEYRING] $mirror $SUITE-updates main"
		echo "deb [signed-by=$KEYRING] ${mirror%/debian*}/debian-security $SUITE-security main"
	} > "$APT_DIR/etc/sources.list.new"
	if cmp -s "$APT_DIR/etc/sources.list.new" "$APT_DIR/etc/sources.list"; then
		rm -f "$APT_DIR/etc/sources.list.new"
	else
		mv "$APT_DIR/etc/sources.list.new" "$APT_DIR/etc/sources.list"
	fi
	: > "$APT_DIR/etc/status"
	# Dir::State::status: an empty dpkg status, so the host's installed
	# packages do not take part; the host's dpkg architectures (arm64 added
	# by install-deps) still apply.
	# etc/parts: an empty directory, instead of the host's sources.list.d
	# and preferences.d.
	APT_OPTS="-o Dir::Etc::SourceList=$APT_DIR/etc/sources.list -o Dir::Etc::SourceParts=$APT_DIR/etc/parts
		-o Dir::Etc::Preferences=$APT_DIR/etc/preferences -o Dir::Etc::PreferencesParts=$APT_DIR/etc/parts
		-o Dir::State=$APT_DIR -o Dir::State::Lists=$APT_DIR/lists
		-o Dir::State::status=$APT_DIR/etc/status
		-o Dir::Cache=$APT_DIR/cache -o Debug::NoLocking=1"
fi

apt_cache() {
	# shellcheck disable=SC2086 # APT_OPTS is a list of words
	apt-cache $APT_OPTS "$@"
}

apt_get() {
	# shellcheck disable=SC2086
	apt-get $APT_OPTS "$@"
}

# Fetch the package lists: the private suite's always (nothing on the host
# changes), the host's only as root.
apt_update() {
	if [ -n "$APT_OPTS" ] || [ "$(id -u)" -eq 0 ]; then
		echo "apt: updating the package lists of ${SUITE:-the host}"
		apt_get update -q >/dev/null
	fi
}
