#!/bin/sh
# Exits with code 3 before its ready line, after a line on stderr.
echo 'early exit on purpose' >&2
exit 3
