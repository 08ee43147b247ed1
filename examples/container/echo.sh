#!/bin/sh
# A corral container agent in busybox sh: it replies to every request
# with the payload it got and exits on shutdown. See docs/container-protocol.md.
#
# The node writes the payload as the last field of a message line, and a
# quote inside a JSON string is always escaped, so the last `,"payload`
# on the line starts that field. The reply reuses it unchanged, whether
# it is "payload" (text) or "payload_b64" (bytes).
echo '{"type":"ready"}'
while IFS= read -r line; do
  case "$line" in
    '{"type":"shutdown"}')
      exit 0
      ;;
    '{"type":"message","id":'*)
      id=${line#*\"id\":}
      id=${id%%,*}
      rest=${line##*,\"payload}
      printf '{"type":"reply","id":%s,"payload%s\n' "$id" "$rest"
      ;;
  esac
done
