#!/bin/sh
# Replies to every request with the names of the network interfaces in
# the container.
echo '{"type":"ready"}'
while IFS= read -r line; do
  case "$line" in
    '{"type":"message","id":'*)
      id=${line#*\"id\":}
      id=${id%%,*}
      names=$(sed -n 's/^ *\([a-z0-9]*\):.*/\1/p' /proc/net/dev | tr '\n' ' ')
      printf '{"type":"reply","id":%s,"payload":"%s"}\n' "$id" "$names"
      ;;
    '{"type":"shutdown"}')
      exit 0
      ;;
  esac
done
