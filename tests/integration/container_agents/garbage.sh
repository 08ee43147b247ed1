#!/bin/sh
# Says ready, then floods stdout with lines that are not protocol.
echo '{"type":"ready"}'
i=0
while [ $i -lt 500 ]; do
  echo "not json $i"
  i=$((i + 1))
done
sleep 60
