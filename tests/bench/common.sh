# What the load runs share (sourced): signing BBB calls, and reading wrk's figures.

sign() { printf '%s' "$1$2$3" | sha256sum | cut -d' ' -f1; }
# The signed path of call $1 with query $2 (the secret is $secret).
signed() { echo "/bigbluebutton/api/$1?$2&checksum=$(sign "$1" "$2" "$secret")"; }

# wrk's figures: requests/s, and a percentile ($1: 50, 90, 99) in milliseconds.
rate() { awk '/Requests\/sec/ { print $2 }' "$1"; }
percentile() {
  awk -v p="$1%" '$1 == p { v = $2; unit = v; gsub(/[0-9.]/, "", unit); sub(/[a-z]+$/, "", v);
       print (unit == "us" ? v / 1000 : unit == "s" ? v * 1000 : v) }' "$2"
}
p50() { percentile 50 "$1"; }
