#!/bin/sh
# {{.Name}} after its files are in place. dpkg runs it as "postinst configure
# [OLD-VERSION]" (no OLD-VERSION on a first install); rpm as %post with the
# number of versions installed: 1 on a first install, 2 on an upgrade.
# Every step is safe to repeat.
set -e

user={{.User}}
dir={{.DataDir}}
unit={{.Name}}.service

case "$1" in
configure) if [ -z "$2" ]; then first=yes; else first=no; fi ;;
1) first=yes ;;
[0-9]*) first=no ;;
*) exit 0 ;;
esac

nologin=/usr/sbin/nologin
[ -x "$nologin" ] || nologin=/sbin/nologin
if ! getent group "$user" >/dev/null; then
	groupadd --system "$user"
fi
if ! getent passwd "$user" >/dev/null; then
	useradd --system --gid "$user" --home-dir "$dir" --no-create-home \
		--shell "$nologin" --comment "{{.Summary}}" "$user"
fi
{{- range .Groups}}
# {{.Why}}
if getent group {{.Name}} >/dev/null; then
	usermod --append --groups {{.Name}} "$user"
fi
{{- end}}

# The data directory is the program's alone (0700, as both programs make
# it). The package does not own it, so no removal or purge deletes it.
if [ ! -d "$dir" ]; then
	install -d -m 0700 -o "$user" -g "$user" "$dir"
fi
chown "$user:$user" "$dir"

if [ "$first" = yes ]; then
	# The settings file may come to hold secrets: the service reads it
	# through its group, nobody else.
	chgrp "$user" {{.ConfigFile}}
	chmod 0640 {{.ConfigFile}}
fi

if command -v systemctl >/dev/null 2>&1; then
	if [ -d /run/systemd/system ]; then
		systemctl daemon-reload
	fi
	if [ "$first" = yes ]; then
		# Enabled, so it starts at boot, but not started: it has nothing
		# to run with until its settings are filled in.
		systemctl enable "$unit"
		cat >&2 <<MSG
{{.Name}} is installed and enabled but not started. Fill in {{.ConfigFile}}
{{- range .Steps}}
{{.}}
{{- end}}
then: systemctl start $unit
MSG
	elif [ -d /run/systemd/system ]; then
		# An upgrade: a running service moves to the new binary.
		systemctl try-restart "$unit"
	fi
fi
exit 0
