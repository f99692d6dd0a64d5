/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "osi-archive-private.h"

/* Reading a zstd archive on two cores: a thread of its own decompresses
 * into chunks that libarchive reads with no filter of its own (tar data
 * comes back as pointers into those chunks: nothing is copied), and the
 * knowledge base's validator runs in another thread on references to the
 * same chunks, while the scan thread hashes, writes and judges.
 *
 * What libarchive sees must be what its own zstd filter would have given
 * it, down to where a damaged stream fails and with which words, so that
 * a report does not depend on the path taken: the decompression below
 * does what libarchive 3.6's filter does (one output unit of
 * ZSTD_DStreamOutSize () at a time, a unit in which decompression failed
 * is lost whole, input taken in the blocks archive_read_open_fd () would
 * read, the same messages), units being packed by eight into a chunk. */

#define UNITS_PER_CHUNK  8
#define MAX_CHUNKS       12  /* 12 MiB at most, whoever holds them */

/* What libarchive (archive_private.h) sets for its own errors. */
#define ERRNO_MISC       (-1)

typedef struct
{
  int      ref;         /* under the pipe's mutex */
  guint8  *data;
  gsize    len;
  guint64  start;       /* offset of data[0] in the decompressed stream */
  guint    n_units;
  guint64  compressed_at[UNITS_PER_CHUNK]; /* input consumed after each unit */
} Chunk;

/* A piece of the knowledge base for the validator's thread: in a chunk
 * (referenced), or a copy of its own. */
typedef struct
{
  Chunk        *chunk;
  const guint8 *data;
  gsize         len;
  guint8       *copy;
} RagItem;

struct _ArchivePipe
{
  GMutex            mutex;
  /* Each thread waits on a condition of its own, signalled only when it
   * waits: a signal is a system call even when nobody waits, and a
   * thread woken for nothing costs a switch. */
  GCond             decoder_cond;  /* a chunk freed */
  GCond             scan_cond;     /* a chunk queued, or the validator done */
  GCond             validator_cond; /* an item fed */
  gboolean          decoder_waits;
  gboolean          scan_waits;
  gboolean          validator_waits;
  int               fd;
  gsize             unit_size;
  gsize             chunk_size;
  GThread          *decoder;
  GThread          *validator;     /* started by the first piece of the knowledge base */
  gboolean          validator_tried;
  gboolean          stopping;

  /* the decoder's side, under mutex */
  GQueue            ready;         /* Chunk *, in stream order */
  GSList           *free_chunks;
  guint             n_chunks;
  gboolean          done;          /* nothing more will be queued */
  char             *error;         /* why it stopped early, or NULL at the stream's end */
  int               error_code;
  guint64           end_compressed; /* input consumed when done */

  /* the scan thread's */
  Chunk            *current;       /* what libarchive reads from */
  gboolean          drained;       /* the callback saw done */

  /* the validator's side, under mutex */
  OsiRagValidator  *rag;
  GQueue            items;         /* RagItem * */
  guint64           items_fed;
  guint64           items_done;
};

/* ------------------------------------------------------------------------ */
/* Chunks                                                                   */

static void
chunk_unref_locked (ArchivePipe *pipe,
                    Chunk       *chunk)
{
  if (--chunk->ref > 0)
    return;
  pipe->free_chunks = g_slist_prepend (pipe->free_chunks, chunk);
  if (pipe->decoder_waits)
    g_cond_signal (&pipe->decoder_cond);
}

static void
chunk_free (gpointer data)
{
  Chunk *chunk = data;

  g_free (chunk->data);
  g_free (chunk);
}

/* A chunk to fill, or NULL when the pipe stops. */
static Chunk *
decoder_take_chunk (ArchivePipe *pipe)
{
  Chunk *chunk = NULL;

  g_mutex_lock (&pipe->mutex);
  while (!pipe->stopping && pipe->free_chunks == NULL && pipe->n_chunks >= MAX_CHUNKS)
    {
      pipe->decoder_waits = TRUE;
      g_cond_wait (&pipe->decoder_cond, &pipe->mutex);
      pipe->decoder_waits = FALSE;
    }
  if (!pipe->stopping)
    {
      if (pipe->free_chunks != NULL)
        {
          chunk = pipe->free_chunks->data;
          pipe->free_chunks = g_slist_delete_link (pipe->free_chunks, pipe->free_chunks);
        }
      else
        {
          chunk = g_new0 (Chunk, 1);
          chunk->data = g_malloc (pipe->chunk_size);
          pipe->n_chunks++;
        }
    }
  g_mutex_unlock (&pipe->mutex);

  if (chunk != NULL)
    {
      chunk->ref = 1;
      chunk->len = 0;
      chunk->n_units = 0;
    }
  return chunk;
}

/* ------------------------------------------------------------------------ */
/* The decoder's thread                                                     */

typedef struct
{
  ZSTD_DStream *dstream;
  guint8       *in_block;
  gsize         in_len;
  gsize         in_pos;
  gboolean      in_frame;
  gboolean      eof;
  guint64       consumed;
  guint64       produced;
  char         *error;
  int           error_code;
} Decoder;

static void
decoder_fail (Decoder    *dec,
              int         code,
              const char *format,
              ...) G_GNUC_PRINTF (3, 4);

static void
decoder_fail (Decoder    *dec,
              int         code,
              const char *format,
              ...)
{
  va_list args;

  va_start (args, format);
  dec->error = g_strdup_vprintf (format, args);
  va_end (args);
  dec->error_code = code;
}

/* Fills out as libarchive's zstd filter fills its output block: FALSE
 * when it failed (dec->error), out then to be thrown away. */
static gboolean
decoder_fill_unit (ArchivePipe    *pipe,
                   Decoder        *dec,
                   ZSTD_outBuffer *out)
{
  while (out->pos < out->size && !dec->eof)
    {
      ZSTD_inBuffer in;
      size_t ret;

      if (!dec->in_frame)
        {
          ret = ZSTD_initDStream (dec->dstream);
          if (ZSTD_isError (ret))
            {
              decoder_fail (dec, ERRNO_MISC, "Error initializing zstd decompressor: %s",
                            ZSTD_getErrorName (ret));
              return FALSE;
            }
        }

      if (dec->in_pos == dec->in_len)
        {
          ssize_t n;

          /* As archive_read_open_fd () reads. */
          do
            n = read (pipe->fd, dec->in_block, OSI_ARCHIVE_IO_BLOCK);
          while (n < 0 && errno == EINTR);
          if (n < 0)
            {
              int saved = errno;

              decoder_fail (dec, saved, "Error reading fd %d", pipe->fd);
              return FALSE;
            }
          dec->in_len = (gsize)n;
          dec->in_pos = 0;
          if (n == 0)
            {
              if (!dec->in_frame)
                {
                  dec->eof = TRUE;
                  break;
                }
              decoder_fail (dec, ERRNO_MISC, "Truncated zstd input");
              return FALSE;
            }
        }

      in.src = dec->in_block;
      in.size = dec->in_len;
      in.pos = dec->in_pos;
      ret = ZSTD_decompressStream (dec->dstream, out, &in);
      if (ZSTD_isError (ret))
        {
          decoder_fail (dec, ERRNO_MISC, "Zstd decompression failed: %s", ZSTD_getErrorName (ret));
          return FALSE;
        }
      dec->consumed += in.pos - dec->in_pos;
      dec->in_pos = in.pos;
      dec->in_frame = ret != 0;
    }
  return TRUE;
}

static gpointer
decoder_thread (gpointer data)
{
  ArchivePipe *pipe = data;
  Decoder dec = { 0 };
  gboolean more = TRUE;

  dec.dstream = ZSTD_createDStream ();
  if (dec.dstream == NULL)
    g_error ("Out of memory allocating a zstd decompressor");
  dec.in_block = g_malloc (OSI_ARCHIVE_IO_BLOCK);

  while (more)
    {
      Chunk *chunk = decoder_take_chunk (pipe);

      if (chunk == NULL)
        break;
      chunk->start = dec.produced;
      while (chunk->n_units < UNITS_PER_CHUNK)
        {
          ZSTD_outBuffer out = { chunk->data + chunk->len, pipe->unit_size, 0 };

          if (!decoder_fill_unit (pipe, &dec, &out))
            {
              more = FALSE;
              break;
            }
          if (out.pos == 0)
            {
              more = FALSE; /* the end of the stream */
              break;
            }
          chunk->len += out.pos;
          dec.produced += out.pos;
          chunk->compressed_at[chunk->n_units++] = dec.consumed;
          if (dec.eof)
            {
              more = FALSE;
              break;
            }
        }

      g_mutex_lock (&pipe->mutex);
      if (chunk->len > 0)
        g_queue_push_tail (&pipe->ready, chunk);
      else
        chunk_unref_locked (pipe, chunk);
      if (!more)
        {
          pipe->done = TRUE;
          pipe->error = g_steal_pointer (&dec.error);
          pipe->error_code = dec.error_code;
          pipe->end_compressed = dec.consumed;
        }
      if (pipe->scan_waits)
        g_cond_signal (&pipe->scan_cond);
      g_mutex_unlock (&pipe->mutex);
    }

  ZSTD_freeDStream (dec.dstream);
  g_free (dec.in_block);
  g_free (dec.error);
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* What libarchive reads                                                    */

static la_ssize_t
pipe_read (struct archive  *a,
           void            *user_data,
           const void     **buffer)
{
  ArchivePipe *pipe = user_data;
  g_autofree char *error = NULL;
  int error_code = 0;
  Chunk *next = NULL;

  g_mutex_lock (&pipe->mutex);
  if (pipe->current != NULL)
    chunk_unref_locked (pipe, g_steal_pointer (&pipe->current));
  while (g_queue_is_empty (&pipe->ready) && !pipe->done)
    {
      pipe->scan_waits = TRUE;
      g_cond_wait (&pipe->scan_cond, &pipe->mutex);
      pipe->scan_waits = FALSE;
    }
  next = g_queue_pop_head (&pipe->ready);
  if (next == NULL)
    {
      pipe->drained = TRUE;
      error = g_strdup (pipe->error);
      error_code = pipe->error_code;
    }
  g_mutex_unlock (&pipe->mutex);

  if (next != NULL)
    {
      pipe->current = next;
      *buffer = next->data;
      return (la_ssize_t)next->len;
    }

  *buffer = NULL;
  if (error != NULL)
    {
      archive_set_error (a, error_code, "%s", error);
      return ARCHIVE_FATAL;
    }
  return 0;
}

static int
pipe_close (struct archive *a,
            void           *user_data)
{
  ArchivePipe *pipe = user_data;

  (void)a;
  g_mutex_lock (&pipe->mutex);
  if (pipe->current != NULL)
    chunk_unref_locked (pipe, g_steal_pointer (&pipe->current));
  g_mutex_unlock (&pipe->mutex);
  return ARCHIVE_OK;
}

/* ------------------------------------------------------------------------ */
/* The validator's thread                                                   */

static void
rag_item_free_locked (ArchivePipe *pipe,
                      RagItem     *item)
{
  if (item->chunk != NULL)
    chunk_unref_locked (pipe, item->chunk);
  g_free (item->copy);
  g_free (item);
}

static gpointer
validator_thread (gpointer data)
{
  ArchivePipe *pipe = data;
  LocaleScope locale_scope = { 0 };

  /* The validator words its findings as it reads: in the scan thread's
   * locale, not the process's. */
  _osi_archive_push_utf8_locale (&locale_scope);
  g_mutex_lock (&pipe->mutex);
  for (;;)
    {
      RagItem *item;

      while (!pipe->stopping && g_queue_is_empty (&pipe->items))
        {
          pipe->validator_waits = TRUE;
          g_cond_wait (&pipe->validator_cond, &pipe->mutex);
          pipe->validator_waits = FALSE;
        }
      if (pipe->stopping)
        break;
      item = g_queue_pop_head (&pipe->items);
      g_mutex_unlock (&pipe->mutex);

      osi_rag_validator_feed (pipe->rag, item->data, item->len);

      g_mutex_lock (&pipe->mutex);
      rag_item_free_locked (pipe, item);
      pipe->items_done++;
      if (pipe->scan_waits && pipe->items_done == pipe->items_fed)
        g_cond_signal (&pipe->scan_cond);
    }
  g_mutex_unlock (&pipe->mutex);
  _osi_archive_pop_locale (&locale_scope);
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* The scan thread's side                                                   */

static gint pipe_disabled;

void
_osi_archive_pipe_set_enabled (gboolean enabled)
{
  g_atomic_int_set (&pipe_disabled, !enabled);
}

gboolean
_osi_archive_pipe_wanted (int fd)
{
  static const guint8 zstd_magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };
  guint8 head[4];

  if (g_atomic_int_get (&pipe_disabled))
    return FALSE;
  return pread (fd, head, sizeof head, 0) == (ssize_t)sizeof head &&
         memcmp (head, zstd_magic, sizeof head) == 0;
}

/* NULL when no thread can be started: the caller reads as before. */
ArchivePipe *
_osi_archive_pipe_new (int              fd,
                       OsiRagValidator *rag)
{
  ArchivePipe *pipe = g_new0 (ArchivePipe, 1);

  g_mutex_init (&pipe->mutex);
  g_cond_init (&pipe->decoder_cond);
  g_cond_init (&pipe->scan_cond);
  g_cond_init (&pipe->validator_cond);
  g_queue_init (&pipe->ready);
  g_queue_init (&pipe->items);
  pipe->fd = fd;
  pipe->rag = rag;
  pipe->unit_size = ZSTD_DStreamOutSize ();
  pipe->chunk_size = pipe->unit_size * UNITS_PER_CHUNK;
  pipe->decoder = g_thread_try_new ("osi-zstd", decoder_thread, pipe, NULL);
  if (pipe->decoder == NULL)
    g_clear_pointer (&pipe, _osi_archive_pipe_free);
  return pipe;
}

int
_osi_archive_pipe_open (ArchivePipe    *pipe,
                        struct archive *a)
{
  return archive_read_open (a, pipe, NULL, pipe_read, pipe_close);
}

/* Input consumed for what libarchive has read, as archive_filter_bytes
 * (a, -1) counts it under libarchive's own zstd filter: up to the end of
 * the output unit that holds the next byte to read. */
guint64
_osi_archive_pipe_compressed_bytes (ArchivePipe    *pipe,
                                    struct archive *a)
{
  Chunk *chunk = pipe->current;
  la_int64_t position;
  guint64 unit;

  if (chunk == NULL)
    {
      guint64 end;

      if (!pipe->drained)
        return 0;
      g_mutex_lock (&pipe->mutex);
      end = pipe->end_compressed;
      g_mutex_unlock (&pipe->mutex);
      return end;
    }

  position = archive_filter_bytes (a, -1);
  unit = position > 0 && (guint64)position > chunk->start
         ? ((guint64)position - chunk->start) / pipe->unit_size
         : 0;
  return chunk->compressed_at[MIN (unit, chunk->n_units - 1)];
}

/* Hands a piece of the knowledge base to the validator's thread: by
 * reference when it lies in the chunk libarchive reads from, else
 * copied. */
void
_osi_archive_pipe_feed_rag (ArchivePipe  *pipe,
                            const guint8 *data,
                            gsize         len)
{
  Chunk *chunk = pipe->current;
  RagItem *item;

  if (len == 0)
    return;

  /* No thread for it: validated here, in order all the same. */
  if (pipe->validator == NULL && !pipe->validator_tried)
    {
      pipe->validator_tried = TRUE;
      pipe->validator = g_thread_try_new ("osi-rag", validator_thread, pipe, NULL);
    }
  if (pipe->validator == NULL)
    {
      osi_rag_validator_feed (pipe->rag, data, len);
      return;
    }

  item = g_new0 (RagItem, 1);
  if (chunk != NULL && data >= chunk->data && data + len <= chunk->data + chunk->len)
    {
      item->chunk = chunk;
      item->data = data;
    }
  else
    {
      item->copy = g_memdup2 (data, len);
      item->data = item->copy;
    }
  item->len = len;

  g_mutex_lock (&pipe->mutex);
  if (item->chunk != NULL)
    item->chunk->ref++;
  g_queue_push_tail (&pipe->items, item);
  pipe->items_fed++;
  if (pipe->validator_waits)
    g_cond_signal (&pipe->validator_cond);
  g_mutex_unlock (&pipe->mutex);
}

/* Returns once the validator has read all it was fed. */
void
_osi_archive_pipe_sync_rag (ArchivePipe *pipe)
{
  g_mutex_lock (&pipe->mutex);
  while (pipe->items_done < pipe->items_fed && !pipe->stopping)
    {
      pipe->scan_waits = TRUE;
      g_cond_wait (&pipe->scan_cond, &pipe->mutex);
      pipe->scan_waits = FALSE;
    }
  g_mutex_unlock (&pipe->mutex);
}

/* Stops and joins both threads, dropping what they had not done; the
 * chunk libarchive holds stays its own until it closes. */
void
_osi_archive_pipe_stop (ArchivePipe *pipe)
{
  g_mutex_lock (&pipe->mutex);
  pipe->stopping = TRUE;
  g_cond_broadcast (&pipe->decoder_cond);
  g_cond_broadcast (&pipe->validator_cond);
  g_mutex_unlock (&pipe->mutex);

  g_clear_pointer (&pipe->decoder, g_thread_join);
  g_clear_pointer (&pipe->validator, g_thread_join);

  g_mutex_lock (&pipe->mutex);
  while (!g_queue_is_empty (&pipe->items))
    rag_item_free_locked (pipe, g_queue_pop_head (&pipe->items));
  while (!g_queue_is_empty (&pipe->ready))
    chunk_unref_locked (pipe, g_queue_pop_head (&pipe->ready));
  g_mutex_unlock (&pipe->mutex);
}

/* After archive_read_free (), which closed what libarchive read. */
void
_osi_archive_pipe_free (ArchivePipe *pipe)
{
  if (pipe == NULL)
    return;
  _osi_archive_pipe_stop (pipe);
  if (pipe->current != NULL)
    chunk_free (pipe->current);
  g_slist_free_full (pipe->free_chunks, chunk_free);
  g_free (pipe->error);
  g_mutex_clear (&pipe->mutex);
  g_cond_clear (&pipe->decoder_cond);
  g_cond_clear (&pipe->scan_cond);
  g_cond_clear (&pipe->validator_cond);
  g_free (pipe);
}
