#!/bin/sh
# Replies to each request twice: first with a reply line of over 2 MiB, which
# the node must reject, then with the short reply "short".
echo '{"type":"ready"}'
while IFS= read -r line; do
  case "$line" in
    '{"type":"message","id":'*)
      id=${line#*\"id\":}
      id=${id%%,*}
      printf '{"type":"reply","id":%s,"payload":"' "$id"
      head -c 2200000 /dev/zero | tr '\0' a
      printf '"}\n'
      printf '{"type":"reply","id":%s,"payload":"short"}\n' "$id"
      ;;
  esac
done
