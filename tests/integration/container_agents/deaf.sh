#!/bin/sh
# Says ready, then never reads stdin, so that its pipe fills up.
echo '{"type":"ready"}'
sleep 600
