#!/bin/sh
# Replies to each request with a burst of invalid lines (NUL and non-UTF-8
# bytes, invalid base64, fields of the wrong type, a reply to an unknown
# id, a terminal escape), then with the valid reply "survived".
echo '{"type":"ready"}'
while IFS= read -r line; do
  case "$line" in
    '{"type":"message","id":'*)
      id=${line#*\"id\":}
      id=${id%%,*}
      printf '{"type":"log","text":"a\000b"}\n'
      printf '{"type":"log","text":"\377\376"}\n'
      printf '{"type":"reply","id":%s,"payload_b64":"!!not base64"}\n' "$id"
      printf '{"type":"reply","id":"%s","payload":"x"}\n' "$id"
      printf '{"type":"reply","id":%s,"payload":5}\n' "$id"
      printf '{"type":"reply","id":-%s}\n' "$id"
      printf '{"type":"reply","id":1.5}\n'
      printf '{"type":"send","to":5,"topic":"t"}\n'
      printf '{"type":"request","ref":1,"to":"x","topic":"t","timeout_ms":-1}\n'
      printf '{"type":"log","level":3,"text":"x"}\n'
      printf '{"type":["ready"]}\n'
      printf '{"type":"reply","id":99999,"payload":"x"}\n'
      printf '\033[2J\033[1;1H not json\n'
      printf '{"type":"reply","id":%s,"payload":"survived"}\n' "$id"
      ;;
    '{"type":"shutdown"}')
      exit 0
      ;;
  esac
done
