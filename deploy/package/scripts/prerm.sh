#!/bin/sh
# {{.Name}} before its files go. dpkg runs it as "prerm remove" (or
# "upgrade NEW-VERSION"); rpm as %preun with the number of versions left: 0
# on removal, 1 on an upgrade. An upgrade keeps the service running until
# the new postinst restarts it.
set -e

unit={{.Name}}.service

case "$1" in
remove | deconfigure | 0) ;;
*) exit 0 ;;
esac

# Stop only a service manager that runs (not in a chroot or a build root).
if [ -d /run/systemd/system ]; then
	systemctl stop "$unit" || true
fi
# rpm forgets an erased package at once. dpkg keeps a removed one's
# settings until a purge, and so its being enabled, which a reinstall then
# finds as it was; postrm purge disables it.
if [ "$1" = 0 ] && command -v systemctl >/dev/null 2>&1; then
	systemctl disable "$unit" || true
fi
exit 0
