/* glibc's string functions as its IFUNCs choose them from CPUID (static build: the
 * IRELATIVE relocations are applied at start-up by the program itself). First the pick of
 * every IRELATIVE slot, by name ("irel ..." lines: these differ between the host CPU and
 * the engine's model, and the test checks the engine's against what glibc's selectors
 * give for a Nehalem); then the results of memcpy, memmove, memset, strlen, strchr,
 * strrchr, memchr, memrchr, rawmemchr, memcmp, strcmp, strncmp, strcasecmp, strncasecmp,
 * strcpy, stpcpy, strcat, strncpy, strspn, strcspn, strpbrk, strstr, wcslen, wmemcmp,
 * wcscmp, wcschr on every source alignment, five destination alignments and many lengths, and strings
 * that end just before an unmapped page, folded into checksums (compare results by sign:
 * variants may return different magnitudes). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>
#include <sys/mman.h>
#include <elf.h>

#define VARIANTS(X) \
  X(__memchr_ia32) X(__memchr_sse2) X(__memchr_sse2_bsf) X(__memcmp_ia32) X(__memcmp_sse4_2) X(__memcmp_ssse3) \
  X(__memrchr_ia32) X(__memrchr_sse2) X(__memrchr_sse2_bsf) X(__memset_ia32) X(__memset_sse2) X(__memset_sse2_rep) \
  X(__rawmemchr_ia32) X(__rawmemchr_sse2) X(__rawmemchr_sse2_bsf) X(__stpcpy_ia32) X(__stpcpy_sse2) X(__stpcpy_ssse3) \
  X(__stpncpy_ia32) X(__stpncpy_sse2) X(__stpncpy_ssse3) X(__strcasecmp_ia32) X(__strcasecmp_l_ia32) X(__strcasecmp_l_sse4_2) \
  X(__strcasecmp_l_ssse3) X(__strcasecmp_sse4_2) X(__strcasecmp_ssse3) X(__strcat_ia32) X(__strcat_sse2) X(__strcat_ssse3) \
  X(__strchr_ia32) X(__strchr_sse2) X(__strchr_sse2_bsf) X(__strcmp_ia32) X(__strcmp_sse4_2) X(__strcmp_ssse3) \
  X(__strcpy_ia32) X(__strcpy_sse2) X(__strcpy_ssse3) X(__strcspn_ia32) X(__strcspn_sse42) X(__strncasecmp_ia32) \
  X(__strncasecmp_l_ia32) X(__strncasecmp_l_sse4_2) X(__strncasecmp_l_ssse3) X(__strncasecmp_sse4_2) X(__strncasecmp_ssse3) \
  X(__strncat_ia32) X(__strncat_sse2) X(__strncat_ssse3) X(__strncpy_ia32) X(__strncpy_sse2) X(__strncpy_ssse3) \
  X(__strnlen_ia32) X(__strnlen_sse2) X(__strpbrk_ia32) X(__strpbrk_sse42) X(__strrchr_ia32) X(__strrchr_sse2) \
  X(__strrchr_sse2_bsf) X(__strspn_ia32) X(__strspn_sse42) X(__wcschr_ia32) X(__wcschr_sse2) X(__wcscmp_ia32) \
  X(__wcscmp_sse2) X(__wcscpy_ssse3) X(__wcslen_ia32) X(__wcslen_sse2) X(__wcsrchr_ia32) X(__wcsrchr_sse2) \
  X(__wmemcmp_ia32) X(__wmemcmp_sse4_2) X(__wmemcmp_ssse3)
#define DECL(n) extern char n[] __attribute__((weak));
VARIANTS(DECL)
#define ENTRY(n) {#n, n},
static const struct { const char *name; const char *at; } VAR[] = { VARIANTS(ENTRY) };
extern const Elf32_Rel __rel_iplt_start[] __attribute__((weak)), __rel_iplt_end[] __attribute__((weak));

static uint32_t h;
static void mix(uint32_t v) { h = (h ^ v) * 16777619u; }
static int sgn(int v) { return v < 0 ? -1 : v > 0; }
static void mixs(const char *p, size_t n) { for (size_t i = 0; i < n; i++) mix((uint8_t)p[i]); }

static char src[8192] __attribute__((aligned(64))), dst[8192] __attribute__((aligned(64))), two[8192] __attribute__((aligned(64)));
static const size_t LENS[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 79, 80, 95, 127, 128, 129, 255, 256, 300, 1000, 4095, 4100};
#define NLEN (sizeof LENS / sizeof LENS[0])

static void fill(char *p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++) { seed = seed * 1103515245 + 12345; p[i] = (char)(((seed >> 16) % 200) + 1); }
}

int main(void) {
  for (const Elf32_Rel *r = __rel_iplt_start; r < __rel_iplt_end; r++) {
    const char *to = *(const char *const *)r->r_offset, *name = "?";
    for (unsigned k = 0; k < sizeof VAR / sizeof VAR[0]; k++) if (VAR[k].at == to) name = VAR[k].name;
    printf("irel %s\n", name);
  }
  static const unsigned DA[] = {0, 1, 5, 8, 15};
  for (unsigned sa = 0; sa < 16; sa++) for (unsigned k = 0; k < sizeof DA / sizeof DA[0]; k++) {
    unsigned da = DA[k];
    h = 2166136261u;
    for (unsigned l = 0; l < NLEN; l++) {
      size_t n = LENS[l];
      char *s = src + sa, *d = dst + da;
      fill(src, sizeof src, sa * 131 + da * 7 + l);
      memset(dst, 0x5a, sizeof dst);
      memcpy(d, s, n); mixs(dst, n + 64);
      memmove(d + 1, d, n); mixs(dst, n + 64);
      memmove(d, d + 3, n); mixs(dst, n + 64);
      memset(d, (int)(n & 0xff), n); mixs(dst, n + 64);
      s[n] = 0; mix(strlen(s)); mix(strnlen(s, n / 2)); mix(strnlen(s, n + 5));
      mix((uint32_t)(strchr(s, s[n / 2]) - s)); mix(strchr(s, 0) - s); mix(strchr(s, 0xff) == NULL);
      mix((uint32_t)(strrchr(s, s[n / 3]) - s)); mix(strrchr(s, 0xff) == NULL);
      mix(n ? (uint32_t)((char *)memchr(s, s[n - 1], n) - s) : 0); mix(memchr(s, 0xff, n) == NULL);
      mix(n ? (uint32_t)((char *)memrchr(s, s[0], n) - s) : 0); mix((uint32_t)((char *)rawmemchr(s, 0) - s));
      memcpy(two + da, s, n + 1);
      char *t = two + da;
      mix(sgn(memcmp(s, t, n))); mix(sgn(strcmp(s, t))); mix(sgn(strncmp(s, t, n)));
      if (n) { t[n - 1] ^= 0x80; mix(sgn(memcmp(s, t, n))); mix(sgn(strcmp(s, t))); mix(sgn(strncmp(s, t, n))); t[n - 1] ^= 0x80; }
      if (n > 2) { t[n / 2] += 1; mix(sgn(memcmp(s, t, n))); mix(sgn(strcmp(s, t))); mix(sgn(strncmp(s, t, n / 2))); mix(sgn(strncmp(s, t, n))); t[n / 2] -= 1; }
      for (size_t i = 0; i < n; i++) if (t[i] >= 'a' && t[i] <= 'z') t[i] -= 32;
      mix(sgn(strcasecmp(s, t))); mix(sgn(strncasecmp(s, t, n / 2 + 1)));
      mix((uint32_t)(stpcpy(d, s) - d)); mixs(dst, n + 64);
      strcpy(d, s); strcat(d, s + n / 2); mixs(dst, 2 * n + 64);
      memset(dst, 0x5a, sizeof dst); strncpy(d, s, n / 2 + 7); mixs(dst, n + 64);
      mix(strspn(s, "\x01\x02\x03" "abcdefghijklmnopqrstuvwxyz")); mix(strcspn(s, "\xc8\xc7XYZ")); mix(strcspn(s, ""));
      const char *p = strpbrk(s, "QRST\xc0"); mix(p ? (uint32_t)(p - s) : 9999);
      p = n > 8 ? strstr(s, s + n - 5) : NULL; mix(p ? (uint32_t)(p - s) : 9999);
      wchar_t *ws = (wchar_t *)(src + (sa & ~3u)), *wt = (wchar_t *)(two + (da & ~3u));
      size_t wn = n / 4 < 1000 ? n / 4 : 1000;
      for (size_t i = 0; i < wn; i++) ws[i] = (wchar_t)(i * 2654435761u % 0x10ffff + 1);
      ws[wn] = 0; memcpy(wt, ws, (wn + 1) * 4);
      mix(wcslen(ws)); mix(sgn(wmemcmp(ws, wt, wn))); mix(sgn(wcscmp(ws, wt)));
      if (wn) { wt[wn - 1] += 1; mix(sgn(wmemcmp(ws, wt, wn))); mix(sgn(wcscmp(ws, wt))); }
      p = (const char *)(wn ? wcschr(ws, ws[wn / 2]) : NULL); mix(p ? (uint32_t)(p - (char *)ws) : 9999);
    }
    printf("align %2u %2u %08x\n", sa, da, h);
  }
  /* strings ending just before an unmapped page: the SSE variants read whole aligned blocks */
  char *pg = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mprotect(pg + 4096, 4096, PROT_NONE);
  for (unsigned n = 1; n < 80; n++) {
    char *s = pg + 4096 - n;
    h = 2166136261u;
    memset(s, 'a' + n % 26, n - 1); s[n - 1] = 0;
    mix(strlen(s)); mix(strchr(s, 'z') == NULL); mix(strrchr(s, s[0]) - s); mix(rawmemchr(s, 0) - (void *)s);
    mix(sgn(strcmp(s, s))); mix(sgn(strcasecmp(s, s))); mix(strspn(s, "abcdefghijklmnopqrstuvwxyz")); mix(strcspn(s, "-"));
    mix(memchr(s, 'z', n) == NULL); mix(sgn(memcmp(s, s, n))); mix(strnlen(s, 200));
    printf("edge %2u %08x\n", n, h);
  }
  return 0;
}
