/**
 * Stand-ins shared by the day-two host suites (status, alerts): busybox processes that behave like an app for
 * the probe, and the address-echo service that answers with the caller's address.
 */

/** Runs until stopped, and stops at once on SIGTERM like an app. */
export const FOREVER = 'trap "exit 0" TERM; while :; do sleep 1; done';
/** The echo service's CGI: the caller's IPv4 address in plain text, like api.ipify.org. */
export const ECHO_CGI = '#!/bin/sh\na="$(echo "$REMOTE_ADDR" | busybox tr -d "[]")"; a="${a#::ffff:}"\nprintf "Content-Type: text/plain\\r\\n\\r\\n%s\\n" "$a"\n';
/**
 * Gluetun's image has GNU wget; the busybox stand-in's static wget cannot resolve even an address literal, so
 * the stand-in gets a wget that sends the same GET with nc (real packets, the namespace's own routes).
 */
export const STAND_IN_WGET = `#!/bin/sh
# wget -qO- -T SECONDS http://HOST:PORT/PATH
for last; do :; done
rest="\${last#http://}"; hostport="\${rest%%/*}"; path="/\${rest#*/}"
host="\${hostport%%:*}"; port="\${hostport#*:}"; [ "$port" = "$hostport" ] && port=80
reply="$(printf 'GET %s HTTP/1.0\\r\\nHost: %s\\r\\n\\r\\n' "$path" "$host" | busybox nc -w 10 "$host" "$port")" || exit 4
case "$reply" in "HTTP/1."?" 2"*) ;; *) exit 8 ;; esac
printf '%s\\n' "$reply" | busybox tr -d '\\r' | busybox sed '1,/^$/d'
`;
