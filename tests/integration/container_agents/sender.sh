#!/bin/sh
# For each request, sends a note to the agent named in the payload and
# requests "echo" from it, then replies with the response line it got,
# double quotes turned into single ones.
echo '{"type":"ready"}'
while IFS= read -r line; do
  case "$line" in
    '{"type":"message","id":'*)
      id=${line#*\"id\":}
      id=${id%%,*}
      target=${line##*,\"payload\":\"}
      target=${target%\"\}}
      printf '{"type":"send","to":"%s","topic":"note","payload":"x"}\n' \
        "$target"
      printf '{"type":"request","ref":1,"to":"%s","topic":"echo",' "$target"
      printf '"payload":"x","timeout_ms":5000}\n'
      IFS= read -r response
      response=$(printf '%s' "$response" | tr '"\\' "''")
      printf '{"type":"reply","id":%s,"payload":"%s"}\n' "$id" "$response"
      ;;
    '{"type":"shutdown"}')
      exit 0
      ;;
  esac
done
