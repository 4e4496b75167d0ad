# openssl (Debian's openssl:i386 and libssl3; issue 10): digests of files at the block-size
# edges and of a 230 kB file, HMAC, and encryption round trips with fixed keys and salts, so
# every byte is determined. OpenSSL picks its SHA/AES code by CPUID (OPENSSL_ia32cap); the
# script runs once as the CPU says and the test runs it again with the SSSE3 paths forced and
# argument "ssse3": then only the digests and the ciphers with SSSE3 code (chacha20; aes-ctr as a
# control), as every openssl process costs the engine half a second of start-up.
mkdir -p $WORK && cd $WORK
: > empty; printf a > one
for n in 55 56 63 64 111 112 127 128 1000; do head -c $n /usr/lib/python3.11/LICENSE.txt > b$n; done
seq 1 40000 > big
ls -l --time-style=+ empty one b[0-9]* big | cut -d' ' -f5-
for d in sha256 sha512 md5 sha1 sha3-256 blake2s256; do openssl dgst -$d -r empty one b55 b56 b63 b64 b111 b112 b127 b128 b1000 big; done
openssl dgst -sha256 -hmac 'key' big; openssl dgst -sha512 -hmac 'another key' b1000
openssl dgst -sha1 < big; echo "-- status $?"
openssl dgst -sha384 -r b111 b112 b128; openssl dgst -sha224 -r b55 b56 b64
K32=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f IV16=0f0e0d0c0b0a09080706050403020100
# cipher, key bytes, iv bytes
CIPHERS='aes-128-cbc:16:16 aes-256-ctr:32:16 chacha20:32:16 des-ede3-cbc:24:8'
[ "$1" = ssse3 ] && CIPHERS='aes-256-ctr:32:16 chacha20:32:16'
for c in $CIPHERS; do
  IFS=: read -r name k iv <<< "$c"; key="-K ${K32:0:$((2*k))} -iv ${IV16:0:$((2*iv))}"
  openssl enc -$name $key -in big -out big.$name; echo "$name $? $(openssl dgst -sha256 -r big.$name | cut -c1-64)"
  openssl enc -d -$name $key -in big.$name | cmp - big && echo "$name round trip ok"
done
[ "$1" = ssse3 ] && exit 0
openssl enc -aes-256-cbc -pbkdf2 -iter 1000 -S 0102030405060708 -pass pass:secret -in b1000 -a | tee b1000.b64
openssl enc -d -aes-256-cbc -pbkdf2 -iter 1000 -S 0102030405060708 -pass pass:secret -a -in b1000.b64 | cmp - b1000 && echo "pbkdf2 round trip ok"
openssl enc -aes-128-cbc -pbkdf2 -pass pass:secret -in b1000 -out b1000.salted && head -c 8 b1000.salted && echo
openssl enc -d -aes-128-cbc -pbkdf2 -pass pass:secret -in b1000.salted | cmp - b1000 && echo "random salt round trip ok"
openssl enc -d -aes-128-cbc -pbkdf2 -pass pass:wrong -in b1000.salted > /dev/null 2>&1; echo "-- wrong password: status $?"
openssl base64 -in b111; openssl prime 2305843009213693951; openssl rand -hex 16 | wc -c
