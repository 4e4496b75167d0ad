/*
 * String instructions: movs stos lods cmps scas in byte/word/dword sizes, without prefix,
 * with rep/repe and repne, in both directions (cld/std), for several counts (including 0),
 * overlapping rep movs in both directions, and a %gs source override. Reports the final
 * ESI/EDI (relative to the buffer), ECX, EAX, flags (cmps/scas: all defined) and a hash of
 * the buffer.
 */
#include "common.h"

static u8 buf[512];
#define BASE (buf + 256)

struct St { u32 esi, edi, ecx, eax, f; };

#define STR(fn, insn) \
  static void fn(struct St *s, u32 df, u32 fin) { \
    u32 si = s->esi, di = s->edi, cx = s->ecx, ax = s->eax, f; \
    __asm__ volatile(FLAGS_IN "test %[df], %[df]\n\tjz 1f\n\tstd\n1:\n\t" insn "\n\tpushf\n\tpop %[fo]\n\tcld" \
      : "+S" (si), "+D" (di), "+c" (cx), "+a" (ax), [fo] "=&r" (f) : [df] "r" (df), [fin] "r" (fin) : "cc", "memory"); \
    s->esi = si; s->edi = di; s->ecx = cx; s->eax = ax; s->f = f; }
#define SIZES(op, pfx, name) STR(name##b, pfx " " #op "b") STR(name##w, pfx " " #op "w") STR(name##l, pfx " " #op "l")
SIZES(movs, "", movs) SIZES(movs, "rep", rep_movs)
SIZES(stos, "", stos) SIZES(stos, "rep", rep_stos)
SIZES(lods, "", lods) SIZES(lods, "rep", rep_lods)
SIZES(cmps, "", cmps) SIZES(cmps, "repe", repe_cmps) SIZES(cmps, "repne", repne_cmps)
SIZES(scas, "", scas) SIZES(scas, "repe", repe_scas) SIZES(scas, "repne", repne_scas)
/* %gs-relative source: the test passes esi relative to the TLS block. */
STR(gs_movsb, "rep movsb %%gs:(%%esi), %%es:(%%edi)") STR(gs_lodsl, "lodsl %%gs:(%%esi), %%eax")
STR(gs_cmpsb, "repe cmpsb %%es:(%%edi), %%gs:(%%esi)")

typedef void (*Fn)(struct St *, u32, u32);
struct Case { const char *name; Fn fn; int gs; };
#define C3(n) { #n "b", n##b, 0 }, { #n "w", n##w, 0 }, { #n "l", n##l, 0 }
static const struct Case cases[] = {
  C3(movs), C3(rep_movs), C3(stos), C3(rep_stos), C3(lods), C3(rep_lods),
  C3(cmps), C3(repe_cmps), C3(repne_cmps), C3(scas), C3(repe_scas), C3(repne_scas),
  { "gs_movsb", gs_movsb, 1 }, { "gs_lodsl", gs_lodsl, 1 }, { "gs_cmpsb", gs_cmpsb, 1 },
};
static const u32 counts[] = { 0, 1, 2, 7, 33 };
/* (source, destination) offsets from BASE: apart, overlapping either way, equal. */
static const int offs[][2] = { { -200, 40 }, { 0, 1 }, { 1, 0 }, { 0, 3 }, { 5, 2 }, { 16, 16 }, { 100, -100 } };

static u32 fnv(const u8 *p, unsigned n) {
  u32 h = 2166136261u;
  for (unsigned i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

static void fill(int pattern) {
  /* Patterns with runs of equal bytes so repe/repne stop at different places. */
  for (unsigned i = 0; i < sizeof buf; i++)
    buf[i] = pattern == 0 ? (u8)(i * 7) : pattern == 1 ? (u8)((i % 37) < 30 ? 0x55 : i) : (u8)(i & 0xf0);
}

int main(void) {
  u32 tcb;
  __asm__ volatile("movl %%gs:0, %0" : "=r" (tcb));
  for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++)
    for (unsigned o = 0; o < sizeof offs / sizeof offs[0]; o++)
      for (unsigned n = 0; n < sizeof counts / sizeof counts[0]; n++)
        for (u32 df = 0; df < 2; df++)
          for (int pat = 0; pat < 3; pat++) {
            fill(pat);
            struct St s;
            u32 base = (u32)(uintptr_t)BASE;
            s.esi = base + offs[o][0] - (cases[k].gs ? tcb : 0);
            s.edi = base + offs[o][1];
            s.ecx = counts[n];
            s.eax = pat == 1 ? 0x55555555u : 0x12345670u + (u32)o;
            u32 fin = (n + o) & 1 ? F_ALL : 0;
            cases[k].fn(&s, df, fin);
            tag(cases[k].name); h8(o); h8(counts[n]); h8(df); h8(pat); h16(fin);
            h32(s.esi + (cases[k].gs ? tcb : 0) - base); h32(s.edi - base); h32(s.ecx); h32(s.eax);
            h16(s.f & (F_ALL | 0x400)); h32(fnv(buf, sizeof buf)); nl();
          }
  return finish();
}
