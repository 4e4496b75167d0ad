# ripgrep (Debian's ripgrep:i386, Rust; issue 10) over Python's email and json packages:
# regex features, literal sets (the Teddy/Aho-Corasick searchers), PCRE2, multiline, replace,
# counts, --json and exit statuses. Without --sort, rg searches on several threads: those
# runs are sorted afterwards. --json's timing fields are taken out (they differ every run).
cd /usr/lib/python3.11
st() { echo "-- status $?"; }
rg --sort path -n 'def \w+_header' email; st
rg --sort path -c -i 'utf-?8|unicode' email json; st
rg -c 'import' email json | sort; st
rg --sort path -o -w -e 'raise \w+Error' -e 'except \w+Error' email | cut -d: -f2- | sort | uniq -c | sort -k1,1nr -k2 | head -12; st
rg --sort path -F -c -e self -e return -e import -e None -e True -e False -e lambda -e yield -e elif -e while email; st
rg --sort path -P -o --no-filename '\b(\w)\w*\1\b(?=\()' email | sort | uniq -c | sort -k1,1nr -k2 | head -8; st
rg --sort path -U -n 'def __init__\(self[^)]*\):\n\s+"""' email; st
rg --sort path -r '$2=$1' '^(\w+)\s*=\s*(\d+)$' email/charset.py json/encoder.py; st
rg --sort path -n '[\p{Greek}\p{Cyrillic}]+' email json; st
rg --sort path -l -i --max-depth 1 'class \w+\(.*Error\)' email json; st
rg --sort path --files -g '*.py' -g '!_*' email json; st
rg --sort path -n -C1 -m2 'lru_cache|functools' email; st
rg --sort path --json -m 2 'Header' email/header.py | sed -E 's/"elapsed[a-z_]*":\{[^}]*\}/"elapsed":0/g'; st
rg --sort path -c 'no such text xyzzy' email; st
rg --sort path '[unclosed' email 2>&1; st
