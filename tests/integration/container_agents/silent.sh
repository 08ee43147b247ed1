#!/bin/sh
# Never prints its ready line.
sleep 60
