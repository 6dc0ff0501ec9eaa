#!/bin/sh
# SAEH evidence bundle: checks the RFC 3161 tokens and the target's SHA-512 with openssl alone.
# The full check (events, Merkle proofs, seals) is `node verify.mjs`, run at the end if node exists.
# Usage: sh verify.sh   (from anywhere; exit 0 = verified, 1 = a check failed)
set -u
cd "$(dirname "$0")" || exit 2
rc=0
for doc in seals/*.json; do
  [ -f "$doc" ] || continue
  tsr="${doc%.json}.tsr"
  if openssl ts -verify -in "$tsr" -data "$doc" -CAfile certs/ca.cert.pem >/dev/null 2>&1; then
    echo "OK      $doc: RFC 3161 token verified ($tsr)"
  else
    echo "FAILED  $doc: its token $tsr does not verify"
    rc=1
  fi
done
if [ -f target.sha512 ]; then
  want=$(cut -d' ' -f1 target.sha512)
  f=$(cut -d' ' -f3- target.sha512)
  got=$(openssl dgst -sha512 -r "$f" 2>/dev/null | cut -d' ' -f1)
  if [ "$want" = "$got" ]; then echo "OK      $f: SHA-512 matches target.sha512"; else
    echo "FAILED  $f: SHA-512 does not match target.sha512"
    rc=1
  fi
fi
if command -v node >/dev/null 2>&1; then
  node verify.mjs . || rc=1
else
  echo "node not found: events and Merkle proofs not checked (see README.md for the openssl-only procedure)"
fi
exit $rc
