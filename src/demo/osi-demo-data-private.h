/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the files of the demonstration data generator share: the random
 * streams, the file writer, the vocabulary's token type, the topics and the
 * prose generator's entry points. Not installed, not for other folders. */

#include <string.h>

#include <gio/gio.h>

G_BEGIN_DECLS

/* Big files go out in chunks of this size, so memory stays flat whatever
 * size_bytes is, and cancellation is noticed between chunks. */
#define CHUNK_SIZE (1024 * 1024)

/* Each file draws from its own stream, so changing one generator never
 * changes the bytes of another file for the same seed. */
enum
{
  STREAM_RAG = 1,
  STREAM_EMBEDDINGS,
  STREAM_SYSTEM,
  STREAM_USERS,
  STREAM_REGLEMENT,
  STREAM_FAQ,
  STREAM_GUIDE,
  STREAM_BACKUP_DATES,
  STREAM_BACKUP_CONTENTS,
};

/* ------------------------------------------------------------------------ */
/* xoshiro256** seeded by splitmix64: fast, and portable bit for bit, which
 * GRand does not promise across GLib versions. */

typedef struct
{
  guint64 s[4];
} DemoRng;

void _osi_demo_rng_init (DemoRng *rng,
                         guint32  seed,
                         guint32  stream);

static inline guint64
rotl64 (guint64 x,
        int     k)
{
  return (x << k) | (x >> (64 - k));
}

static inline guint64
rng_next (DemoRng *rng)
{
  guint64 *s = rng->s;
  guint64 result = rotl64 (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl64 (s[3], 45);
  return result;
}

/* Multiply-shift rather than modulo: no division in the hot loop, and the
 * bias is far below anything a reader of the text could notice. */
static inline guint32
rng_below (DemoRng *rng,
           guint32  n)
{
  return (guint32) (((rng_next (rng) >> 32) * n) >> 32);
}

static inline guint32
rng_range (DemoRng *rng,
           guint32  lo,
           guint32  hi)
{
  return lo + rng_below (rng, hi - lo + 1);
}

static inline gboolean
rng_chance (DemoRng *rng,
            guint32  percent)
{
  return rng_below (rng, 100) < percent;
}

/* ------------------------------------------------------------------------ */
/* A file written to a temporary name beside its final one and renamed on
 * commit, so a reader never sees half a file; dropping the writer without
 * committing removes the temporary. Errors are sticky so the generators can
 * append freely and check once per entry or chunk. */

typedef struct
{
  char         *path;
  char         *tmp_path;
  int           fd;
  guint8       *buf;
  gsize         len;
  guint64       flushed;
  GCancellable *cancellable;
  GError       *error;
} DemoWriter;

#define DEMO_WRITER_INIT { .fd = -1 }

void     _osi_demo_writer_clear  (DemoWriter    *w);
gboolean _osi_demo_writer_open   (DemoWriter    *w,
                                  const char    *path,
                                  GCancellable  *cancellable,
                                  GError       **error);
void     _osi_demo_writer_flush  (DemoWriter    *w);
gboolean _osi_demo_writer_commit (DemoWriter    *w,
                                  guint64       *total,
                                  GError       **error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DemoWriter, _osi_demo_writer_clear)

static inline void
put (DemoWriter *w,
     const void *data,
     gsize       len)
{
  if (G_UNLIKELY (w->len + len > CHUNK_SIZE))
    {
      _osi_demo_writer_flush (w);
      if (w->error != NULL)
        return;

      /* Nothing appended is anywhere near a chunk, but stay correct. */
      while (len > CHUNK_SIZE)
        {
          memcpy (w->buf, data, CHUNK_SIZE);
          w->len = CHUNK_SIZE;
          _osi_demo_writer_flush (w);
          if (w->error != NULL)
            return;
          data = (const guint8 *) data + CHUNK_SIZE;
          len -= CHUNK_SIZE;
        }
    }

  memcpy (w->buf + w->len, data, len);
  w->len += len;
}

#define PUT(w, lit) put ((w), "" lit, sizeof (lit) - 1)

static inline void
put_char (DemoWriter *w,
          char        c)
{
  put (w, &c, 1);
}

void _osi_demo_put_uint   (DemoWriter *w,
                          guint64     v,
                          guint       width);
void _osi_demo_put_random (DemoWriter *w,
                          DemoRng    *rng,
                          guint64     n);

static inline guint64
demo_writer_size (const DemoWriter *w)
{
  return w->flushed + w->len;
}

/* Sets a G_IO_ERROR from saved_errno with the sentence format makes of
 * path's display name ("Cannot write “%s”"), then the system's reason,
 * as osi_set_error_from_errno () writes it; returns FALSE. */
gboolean _osi_demo_set_file_error (GError     **error,
                                   int          saved_errno,
                                   const char  *path,
                                   const char  *format) G_GNUC_PRINTF (4, 0);

gboolean _osi_demo_make_dir (const char  *path,
                             GError     **error);

/* ------------------------------------------------------------------------ */
/* Vocabulary (osi-demo-prose.c). Tokens never contain a double quote, a
 * backslash or a control character: see there. */

typedef struct
{
  const char *s;
  gsize       len;
} Tok;

#define T(lit) { "" lit, sizeof (lit) - 1 }
#define PICK(rng, table) (&(table)[rng_below ((rng), G_N_ELEMENTS (table))])

#define NBSP "\u00a0"
#define NNBSP "\u202f"

typedef struct
{
  Tok slug;
  Tok label;
  Tok path;
  Tok mailbox;
  Tok nouns[6];
  Tok keywords[6];
} Topic;

/* The subjects of the knowledge base (osi-demo-topics.c). */
extern const Topic _osi_demo_topics[];
extern const guint _osi_demo_n_topics;

const Topic *_osi_demo_pick_topic (DemoRng *rng);

/* ------------------------------------------------------------------------ */
/* The French prose generator (osi-demo-prose.c), writing either JSON string
 * content or plain text. */

typedef struct
{
  DemoWriter  *w;
  DemoRng     *rng;
  gboolean     json;
  const Topic *topic;
} Gen;

static inline void
put_tok (Gen       *g,
         const Tok *t)
{
  put (g->w, t->s, t->len);
}

void _osi_demo_put_tok_cap      (Gen       *g,
                                 const Tok *t);
void _osi_demo_gen_date         (Gen       *g);
void _osi_demo_gen_email        (Gen       *g);
void _osi_demo_gen_sentence     (Gen       *g);
void _osi_demo_gen_sentences    (Gen       *g,
                                 guint      n);
void _osi_demo_gen_question     (Gen       *g);
void _osi_demo_gen_bubble_text  (Gen       *g);

/* rag/search.json (osi-demo-knowledge-base.c): target bytes, or exactly
 * n_entries when that is not 0. */
gboolean _osi_demo_write_search_json (const char    *path,
                                      guint64        target,
                                      guint64        n_entries,
                                      guint32        seed,
                                      guint64       *total,
                                      GCancellable  *cancellable,
                                      GError       **error);

G_END_DECLS
