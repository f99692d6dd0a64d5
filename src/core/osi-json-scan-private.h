/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the streaming JSON readers of the knowledge base (the validator
 * and the comparison's digests) share. */

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

/* The first byte from p that ends a run of plain string content: a quote,
 * a backslash or a control character; end when there is none. */
static inline const guint8 *
skip_string_run (const guint8 *p,
                 const guint8 *end)
{
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8 ('"');
  const __m128i backslash = _mm_set1_epi8 ('\\');
  const __m128i control = _mm_set1_epi8 (0x1f);

  while (end - p >= 16)
    {
      __m128i v = _mm_loadu_si128 ((const __m128i *) p);
      guint32 special = (guint32) _mm_movemask_epi8 (_mm_or_si128 (_mm_or_si128 (_mm_cmpeq_epi8 (v, quote),
                                                                                 _mm_cmpeq_epi8 (v, backslash)),
                                                                   _mm_cmpeq_epi8 (_mm_max_epu8 (v, control),
                                                                                   control)));

      if (special != 0)
        return p + __builtin_ctz (special);
      p += 16;
    }
#endif

  while (p < end && *p != '"' && *p != '\\' && *p >= 0x20)
    p++;
  return p;
}

G_END_DECLS
