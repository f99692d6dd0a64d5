/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The S3 calls the off-site copies of docs/api.md §7 need, on libcurl's
 * AWS signature version 4, path-style (`http://HOST:PORT/BUCKET/KEY`).
 * Every call is synchronous: the server makes them from a worker thread.
 * An OsiS3 keeps one libcurl handle (its connection stays open between
 * calls), so it serves one call at a time: calls from several threads
 * wait for each other; a thread that wants its own transfers in parallel
 * makes its own OsiS3. Cancelling a call's GCancellable aborts its
 * transfer at once with G_IO_ERROR_CANCELLED. */

#define OSI_S3_ERROR (osi_s3_error_quark ())

typedef enum
{
  OSI_S3_ERROR_INVALID,     /* a bad --offsite-url, credentials file or name */
  OSI_S3_ERROR_AUTH,        /* credentials refused, or the clock too far off */
  OSI_S3_ERROR_NO_BUCKET,
  OSI_S3_ERROR_NOT_FOUND,   /* no such key or multipart upload */
  OSI_S3_ERROR_TRANSIENT,   /* 5xx, SlowDown, network: retry with backoff */
  OSI_S3_ERROR_PROTOCOL,    /* an answer that cannot be read */
  OSI_S3_ERROR_FAILED,      /* any other refusal */
  OSI_S3_ERROR_LOCAL,       /* the local file could not be read or written */
} OsiS3Error;

GQuark osi_s3_error_quark (void);

typedef struct _OsiS3 OsiS3;

typedef struct
{
  char   *key;
  gint64  size;
  char   *etag;            /* as sent, quotes included */
  char   *last_modified;   /* ISO 8601, as sent */
} OsiS3Object;

typedef struct
{
  guint   number;
  char   *etag;
  gint64  size;
} OsiS3Part;

typedef struct
{
  char   *key;
  char   *upload_id;
  char   *initiated;
} OsiS3Upload;

typedef struct
{
  gint64  size;
  char   *etag;
  char   *sha256;          /* x-amz-meta-sha256, or NULL */
} OsiS3Head;

/* Bytes moved so far by the call under way, from its worker thread. */
typedef void (*OsiS3ProgressFunc) (gint64   bytes_done,
                                   gpointer user_data);

void         osi_s3_object_free           (OsiS3Object  *object);
void         osi_s3_part_free             (OsiS3Part    *part);
void         osi_s3_upload_free           (OsiS3Upload  *upload);
void         osi_s3_head_clear            (OsiS3Head    *head);

/* Reads a --offsite-credentials file (docs/api.md §7): mode 0600 or
 * stricter, lines `access_key = VALUE` and `secret_key = VALUE`. */
gboolean     osi_s3_read_credentials      (const char   *path,
                                           char        **access_key,
                                           char        **secret_key,
                                           GError      **error);

/* url: `https://HOST[:PORT]/BUCKET[/PREFIX]` (or http://); region NULL
 * for us-east-1; credentials_path, when given, is named in the message
 * that says the keys were refused. */
OsiS3       *osi_s3_new                   (const char   *url,
                                           const char   *access_key,
                                           const char   *secret_key,
                                           const char   *region,
                                           const char   *credentials_path,
                                           GError      **error);
void         osi_s3_free                  (OsiS3        *self);

const char  *osi_s3_get_endpoint          (OsiS3        *self);
const char  *osi_s3_get_bucket            (OsiS3        *self);
/* "" or the prefix without its slashes at either end. */
const char  *osi_s3_get_prefix            (OsiS3        *self);

/* `PREFIX/HOST/`: where one host's copies live. */
char        *osi_s3_host_prefix           (OsiS3        *self,
                                           const char   *host_name,
                                           GError      **error);
/* `PREFIX/HOST/NAME`: the key of one backup's copy. */
char        *osi_s3_backup_key            (OsiS3        *self,
                                           const char   *host_name,
                                           const char   *backup_name,
                                           GError      **error);

gboolean     osi_s3_head_object           (OsiS3        *self,
                                           const char   *key,
                                           OsiS3Head    *head,
                                           GCancellable *cancellable,
                                           GError      **error);
/* Sends `length` bytes of fd from `offset` in one request; sha256, when
 * given, becomes the object's x-amz-meta-sha256. Returns its ETag. */
char        *osi_s3_put_object            (OsiS3        *self,
                                           const char   *key,
                                           int           fd,
                                           goffset       offset,
                                           goffset       length,
                                           const char   *sha256,
                                           GCancellable *cancellable,
                                           GError      **error);
/* Returns the upload id. */
char        *osi_s3_create_multipart_upload (OsiS3      *self,
                                           const char   *key,
                                           const char   *sha256,
                                           GCancellable *cancellable,
                                           GError      **error);
/* Streams `length` bytes of fd from `offset` (never the whole part in
 * memory). Returns the part's ETag. */
char        *osi_s3_upload_part           (OsiS3        *self,
                                           const char   *key,
                                           const char   *upload_id,
                                           guint         part_number,
                                           int           fd,
                                           goffset       offset,
                                           goffset       length,
                                           OsiS3ProgressFunc progress,
                                           gpointer      progress_data,
                                           GCancellable *cancellable,
                                           GError      **error);
/* parts: OsiS3Part in ascending part numbers (their sizes are unused).
 * Returns the object's ETag, or "" from a storage that tells none (the
 * RADOS Gateway 16.2 of Debian 12): check the object with a HEAD. */
char        *osi_s3_complete_multipart_upload (OsiS3    *self,
                                           const char   *key,
                                           const char   *upload_id,
                                           GPtrArray    *parts,
                                           GCancellable *cancellable,
                                           GError      **error);
gboolean     osi_s3_abort_multipart_upload (OsiS3       *self,
                                           const char   *key,
                                           const char   *upload_id,
                                           GCancellable *cancellable,
                                           GError      **error);
/* All the multipart uploads under a prefix, every page: OsiS3Upload. */
GPtrArray   *osi_s3_list_multipart_uploads (OsiS3       *self,
                                           const char   *prefix,
                                           GCancellable *cancellable,
                                           GError      **error);
/* All the parts of an upload, every page: OsiS3Part. */
GPtrArray   *osi_s3_list_parts            (OsiS3        *self,
                                           const char   *key,
                                           const char   *upload_id,
                                           GCancellable *cancellable,
                                           GError      **error);
/* One page of ListObjectsV2 (OsiS3Object); *next_token is NULL on the
 * last page. continuation_token NULL for the first. */
GPtrArray   *osi_s3_list_objects          (OsiS3        *self,
                                           const char   *prefix,
                                           const char   *continuation_token,
                                           char        **next_token,
                                           GCancellable *cancellable,
                                           GError      **error);
/* Writes the object to fd from its current position, streamed. */
gboolean     osi_s3_get_object            (OsiS3        *self,
                                           const char   *key,
                                           int           fd,
                                           gint64       *size,
                                           OsiS3ProgressFunc progress,
                                           gpointer      progress_data,
                                           GCancellable *cancellable,
                                           GError      **error);
gboolean     osi_s3_delete_object         (OsiS3        *self,
                                           const char   *key,
                                           GCancellable *cancellable,
                                           GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OsiS3, osi_s3_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OsiS3Object, osi_s3_object_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OsiS3Part, osi_s3_part_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OsiS3Upload, osi_s3_upload_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (OsiS3Head, osi_s3_head_clear)

G_END_DECLS
