/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the files of OsiOffsite share: the instance struct, the Work the
 * main thread hands the worker, and the helpers on the records. See
 * osi-offsite.h for the threads. osi-offsite.c holds the object, the
 * records, the queue and the state on the main thread, start and stop;
 * osi-offsite-copy.c the worker (the copy, its resume, retries and check,
 * the reading of the storage at start) and what it posts back;
 * osi-offsite-storage.c the storage's list applied to the records, the
 * off-site retention's plan and deletions, and the aborts of dropped
 * uploads. */

#include "osi-offsite.h"

G_BEGIN_DECLS

/* Parts of 8 MiB, larger when a backup would need more than 10,000. */
#define PART_SIZE         (G_GINT64_CONSTANT (8) << 20)
#define MAX_PARTS         10000
/* A copy that the storage keeps getting wrong, or whose upload keeps
 * disappearing, stops after that many new starts. */
#define MAX_RESTARTS      3
/* How long a stop waits for a cancelled deletion or abort to end, so
 * that a storage that does not answer cannot hold the shutdown for ever. */
#define STOP_WAIT_S       30

typedef enum
{
  WORK_RECONCILE,
  WORK_COPY,
  WORK_STOP,
} WorkType;

typedef struct
{
  WorkType      type;
  OsiOffsite   *self;
  char         *name;
  char         *key;
  int           fd;
  gint64        size;
  char         *sha256;
  char         *upload_id;
  GCancellable *cancellable;
  gboolean      dropped;          /* the backup was deleted: abort */
  /* The handshake on the upload id, under self->lock. */
  gboolean      upload_answered;
  gboolean      upload_recorded;
  /* For WORK_RECONCILE: the upload ids the queued copies own. */
  GHashTable   *owned;
} Work;

struct _OsiOffsite
{
  GObject          parent_instance;

  OsiBackupFolder *folder;
  OsiCatalog      *catalog;
  OsiClock        *clock;
  const OsiPolicy *policy;
  GMainContext    *context;

  /* The storage, as configured; read only once made. */
  char            *url;
  char            *access_key;
  char            *secret_key;
  char            *region;
  char            *credentials_path;
  guint            retry_max;
  char            *bucket;
  char            *host_prefix;
  OsiS3           *s3;              /* the worker's */

  /* Guards records, copied, copied_name and the Work handshakes:
   * add_members reads records from any thread. Never held while the
   * folder is called. */
  GMutex           lock;
  GCond            cond;
  GHashTable      *records;         /* name → OsiCatalogCopy */
  char            *copied_name;     /* the copy under way */
  gint64           copied;          /* its bytes on the storage so far */

  GThread         *worker;
  GAsyncQueue     *queue;
  GCancellable    *cancellable;     /* cancelled at stop */
  gboolean         stopping;
  gboolean         ready;           /* no reading of the storage is due first */
  gboolean         reconciled;      /* the storage was read since the start */
  Work            *current;
  gint64           next_queued;
  guint            n_busy;          /* deletions and the first reading */
  guint            n_threads;       /* deletions and aborts running, under lock */
  gboolean         retention_running;
  GHashTable      *fetching;        /* names */
};
/* osi-offsite.c: records and queue, on the main thread. */
gint64          _osi_offsite_now_seconds       (OsiOffsite     *self);
Work           *_osi_offsite_work_new          (OsiOffsite     *self,
                                                WorkType        type);
void            _osi_offsite_work_free         (Work           *work);
/* Has the list show what changed of name. */
void            _osi_offsite_changed           (OsiOffsite     *self,
                                                const char     *name);
/* Replaces name's record by copy (taken), once the catalog holds it. */
gboolean        _osi_offsite_put_record        (OsiOffsite     *self,
                                                OsiCatalogCopy *copy);
/* at: when the state was reached; -1 for now, 0 to keep the record's. */
gboolean        _osi_offsite_set_state_at      (OsiOffsite     *self,
                                                const char     *name,
                                                OsiCopyState    state,
                                                gint64          at,
                                                const char     *detail);
gboolean        _osi_offsite_set_state         (OsiOffsite     *self,
                                                const char     *name,
                                                OsiCopyState    state,
                                                const char     *detail);
gboolean        _osi_offsite_set_upload_id     (OsiOffsite     *self,
                                                const char     *name,
                                                const char     *upload_id);
gboolean        _osi_offsite_forget_record     (OsiOffsite     *self,
                                                const char     *name);
/* A copy of name's record, or NULL. */
OsiCatalogCopy *_osi_offsite_dup_record        (OsiOffsite     *self,
                                                const char     *name);
void            _osi_offsite_requeue_failed    (OsiOffsite     *self);
void            _osi_offsite_maybe_start_next  (OsiOffsite     *self);
void            _osi_offsite_push_reconcile    (OsiOffsite     *self);

/* osi-offsite-copy.c: the worker thread's loop. */
gpointer        _osi_offsite_worker_main       (gpointer        data);

/* osi-offsite-storage.c, on the main thread. */
void            _osi_offsite_apply_retention   (OsiOffsite     *self);
/* Waits until no deletion nor abort runs in a thread (they are
 * cancelled by stop), but timeout_us at most: FALSE then. */
gboolean        _osi_offsite_wait_threads      (OsiOffsite     *self,
                                                gint64          timeout_us);
void            _osi_offsite_abort_upload_async (OsiOffsite    *self,
                                                 const char    *name,
                                                 const char    *upload_id);

G_END_DECLS
