/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The byte scanning of the JSON tokenizer (osi-json-tokenizer.c): runs of
 * whitespace and of plain string content, checked in bulk with SSE2, and
 * the UTF-8 rules; the comparison and the validator also skip whitespace
 * with it to find where a document starts. */

#include <glib.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

G_BEGIN_DECLS

static inline gboolean
is_ws (guint8 c)
{
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* Compact JSON has no whitespace between tokens and pretty-printed JSON one
 * space after a colon; only the indentation after a newline is worth a
 * vector compare. */
static inline const guint8 *
skip_ws (const guint8 *p,
         const guint8 *end)
{
  if (p < end && !is_ws (*p))
    return p;
  if (end - p >= 2 && !is_ws (p[1]))
    return p + 1;

#ifdef __SSE2__
  while (end - p >= 16)
    {
      __m128i v = _mm_loadu_si128 ((const __m128i *) p);
      __m128i ws = _mm_or_si128 (_mm_or_si128 (_mm_cmpeq_epi8 (v, _mm_set1_epi8 (' ')),
                                               _mm_cmpeq_epi8 (v, _mm_set1_epi8 ('\n'))),
                                 _mm_or_si128 (_mm_cmpeq_epi8 (v, _mm_set1_epi8 ('\t')),
                                               _mm_cmpeq_epi8 (v, _mm_set1_epi8 ('\r'))));
      guint32 other = ~(guint32) _mm_movemask_epi8 (ws) & 0xffff;

      if (other != 0)
        return p + __builtin_ctz (other);
      p += 16;
    }
#endif

  while (p < end && is_ws (*p))
    p++;

  return p;
}

/* ------------------------------------------------------------------------ */
/* Scanning                                                                 */

static inline gboolean
is_digit (guint8 c)
{
  return c >= '0' && c <= '9';
}

static inline int
hex_value (guint8 c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  c |= 0x20;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

#ifdef __SSE2__
static inline guint32
mask32 (__m128i lo,
        __m128i hi)
{
  return (guint32) _mm_movemask_epi8 (lo) | ((guint32) _mm_movemask_epi8 (hi) << 16);
}

/* Bytes compare as signed here, so for t >= 0x80 these select exactly the
 * non-ASCII bytes below t, and never an ASCII byte. */
#define BELOW(t) mask32 (_mm_cmplt_epi8 (lo, _mm_set1_epi8 ((char) (t))), \
                         _mm_cmplt_epi8 (hi, _mm_set1_epi8 ((char) (t))))
#define EQUAL(t) mask32 (_mm_cmpeq_epi8 (lo, _mm_set1_epi8 ((char) (t))), \
                         _mm_cmpeq_epi8 (hi, _mm_set1_epi8 ((char) (t))))

static inline guint64
continuations (guint32 lead2,
               guint32 lead3,
               guint32 lead4)
{
  guint64 l2 = lead2, l3 = lead3, l4 = lead4;

  return (l2 << 1) | (l3 << 1) | (l3 << 2) | (l4 << 1) | (l4 << 2) | (l4 << 3);
}

/* Validates the UTF-8 in the first `stop` bytes of a 32-byte window and
 * returns how many of them form complete, valid characters, or -1 when the
 * window holds an error (the scalar path then pinpoints it). Accented text
 * has a non-ASCII byte every few dozen; stopping at each one costs more than
 * checking a whole window with bit masks (Unicode Table 3-7). */
static inline int
utf8_window (__m128i lo,
             __m128i hi,
             guint32 high,
             guint   stop)
{
  guint32 window = stop == 32 ? G_MAXUINT32 : (1u << stop) - 1;
  guint32 cont = BELOW (0xc0);
  guint32 below_c2 = BELOW (0xc2);
  guint32 below_e0 = BELOW (0xe0);
  guint32 lead2 = below_e0 & ~below_c2;
  guint32 lead3 = 0, lead4 = 0, invalid = below_c2 & ~cont, bad = 0;
  guint32 leads, kept;
  guint64 need;
  guint k = stop;

  if ((high & ~below_e0 & window) != 0)
    {
      guint32 below_f0 = BELOW (0xf0);
      guint32 below_f5 = BELOW (0xf5);
      guint32 below_a0 = BELOW (0xa0);
      guint32 below_90 = BELOW (0x90);

      lead3 = below_f0 & ~below_e0;
      lead4 = below_f5 & ~below_f0;
      invalid |= high & ~below_f5;
      /* Second bytes that would make an overlong form, a surrogate or a
       * code point above U+10FFFF. */
      bad = ((EQUAL (0xe0) << 1) & below_a0)
            | ((EQUAL (0xed) << 1) & ~below_a0)
            | ((EQUAL (0xf0) << 1) & below_90)
            | ((EQUAL (0xf4) << 1) & ~below_90);
    }

  leads = (lead2 | lead3 | lead4) & window;
  need = continuations (lead2 & window, lead3 & window, lead4 & window);
  if ((need >> stop) != 0)
    {
      /* The last character runs past the window: leave it for later. */
      k = 31 - __builtin_clz (leads);
      if (k == 0)
        return 0;
      kept = (1u << k) - 1;
      need = continuations (lead2 & kept, lead3 & kept, lead4 & kept);
    }
  else
    kept = window;

  if ((cont & kept) != need || ((invalid | bad) & kept) != 0)
    return -1;

  return (int) k;
}

#undef BELOW
#undef EQUAL
#endif

/* Returns the first byte at or after p that ends a run of plain string
 * content: '"', '\\', a control character, or a non-ASCII byte that the bulk
 * check could not settle. */
static inline const guint8 *
scan_plain (const guint8 *p,
            const guint8 *end)
{
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8 ('"');
  const __m128i backslash = _mm_set1_epi8 ('\\');
  const __m128i control = _mm_set1_epi8 (0x1f);

  while (end - p >= 32)
    {
      __m128i lo = _mm_loadu_si128 ((const __m128i *) p);
      __m128i hi = _mm_loadu_si128 ((const __m128i *) (p + 16));
      /* Unsigned v <= 0x1f, as max (v, 0x1f) == 0x1f. */
      guint32 special = mask32 (_mm_or_si128 (_mm_or_si128 (_mm_cmpeq_epi8 (lo, quote),
                                                            _mm_cmpeq_epi8 (lo, backslash)),
                                              _mm_cmpeq_epi8 (_mm_max_epu8 (lo, control), control)),
                                _mm_or_si128 (_mm_or_si128 (_mm_cmpeq_epi8 (hi, quote),
                                                            _mm_cmpeq_epi8 (hi, backslash)),
                                              _mm_cmpeq_epi8 (_mm_max_epu8 (hi, control), control)));
      guint32 high;
      guint stop;
      int k;

      if (G_LIKELY (special == 0))
        {
          /* Inside a string, most windows of French text hold only ASCII and
           * two-byte characters: settle those in vector registers, without
           * a branch on where the accents fall. A window passes when each
           * continuation byte follows a lead byte C2..DF and no other byte
           * is non-ASCII. */
          __m128i cont_lo = _mm_cmplt_epi8 (lo, _mm_set1_epi8 ((char) 0xc0));
          __m128i cont_hi = _mm_cmplt_epi8 (hi, _mm_set1_epi8 ((char) 0xc0));
          __m128i lead_lo = _mm_and_si128 (_mm_cmpgt_epi8 (lo, _mm_set1_epi8 ((char) 0xc1)),
                                           _mm_cmplt_epi8 (lo, _mm_set1_epi8 ((char) 0xe0)));
          __m128i lead_hi = _mm_and_si128 (_mm_cmpgt_epi8 (hi, _mm_set1_epi8 ((char) 0xc1)),
                                           _mm_cmplt_epi8 (hi, _mm_set1_epi8 ((char) 0xe0)));
          __m128i other_lo = _mm_andnot_si128 (_mm_or_si128 (cont_lo, lead_lo),
                                               _mm_cmplt_epi8 (lo, _mm_setzero_si128 ()));
          __m128i other_hi = _mm_andnot_si128 (_mm_or_si128 (cont_hi, lead_hi),
                                               _mm_cmplt_epi8 (hi, _mm_setzero_si128 ()));
          __m128i err_lo = _mm_or_si128 (_mm_xor_si128 (cont_lo, _mm_slli_si128 (lead_lo, 1)), other_lo);
          __m128i err_hi = _mm_or_si128 (_mm_xor_si128 (cont_hi,
                                                        _mm_or_si128 (_mm_slli_si128 (lead_hi, 1),
                                                                      _mm_srli_si128 (lead_lo, 15))),
                                         other_hi);

          if (G_LIKELY ((mask32 (err_lo, err_hi) | (_mm_movemask_epi8 (lead_hi) & 0x8000)) == 0))
            {
              p += 32;
              continue;
            }
          stop = 32;
        }
      else
        stop = (guint) __builtin_ctz (special);

      high = mask32 (lo, hi);
      if (stop < 32 && (high & ((1u << stop) - 1)) == 0)
        return p + stop;

      k = utf8_window (lo, hi, high, stop);
      if (k < 0)
        return p + __builtin_ctz (high);
      p += k;
      if ((guint) k == stop && stop < 32)
        return p;
      if (k == 0)
        return p;
    }
#else
  /* Eight bytes at a time with the classic SWAR "has byte" tricks. */
  while (end - p >= 8)
    {
      guint64 v, q, s, t;

      memcpy (&v, p, sizeof v);
      q = v ^ G_GUINT64_CONSTANT (0x2222222222222222);
      s = v ^ G_GUINT64_CONSTANT (0x5c5c5c5c5c5c5c5c);
      t = ((q - G_GUINT64_CONSTANT (0x0101010101010101)) & ~q)
          | ((s - G_GUINT64_CONSTANT (0x0101010101010101)) & ~s)
          | ((v - G_GUINT64_CONSTANT (0x2020202020202020)) & ~v)
          | v;
      if ((t & G_GUINT64_CONSTANT (0x8080808080808080)) != 0)
        break;
      p += 8;
    }
#endif

  while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
    p++;

  return p;
}

/* Unicode Table 3-7: the lead byte c of a sequence of two to four bytes
 * fixes how many continuation bytes follow and the range of the first,
 * which excludes overlong forms, surrogates and code points above
 * U+10FFFF. FALSE if c leads none. */
static inline gboolean
utf8_lead (guint8  c,
           guint  *need,
           guint8 *lo,
           guint8 *hi)
{
  if (c >= 0xc2 && c <= 0xdf)
    *need = 1, *lo = 0x80, *hi = 0xbf;
  else if (c == 0xe0)
    *need = 2, *lo = 0xa0, *hi = 0xbf;
  else if (c == 0xed)
    *need = 2, *lo = 0x80, *hi = 0x9f;
  else if (c >= 0xe1 && c <= 0xef)
    *need = 2, *lo = 0x80, *hi = 0xbf;
  else if (c == 0xf0)
    *need = 3, *lo = 0x90, *hi = 0xbf;
  else if (c >= 0xf1 && c <= 0xf3)
    *need = 3, *lo = 0x80, *hi = 0xbf;
  else if (c == 0xf4)
    *need = 3, *lo = 0x80, *hi = 0x8f;
  else
    return FALSE;
  return TRUE;
}

G_END_DECLS
