#!/bin/sh
# Stand-in for the service's own binary.
echo "service started"
