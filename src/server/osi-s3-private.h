/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "osi-s3.h"

G_BEGIN_DECLS

/* The pieces of OsiS3 that need no server, shared by osi-s3.c and
 * osi-s3-xml.c and tested on their own (tests/test-s3.c). */

/* The most of an answer's body kept in memory: a page of a listing, an
 * error. Larger answers are refused, never buffered. */
#define OSI_S3_MAX_BODY (1024 * 1024)

/* AWS URI encoding (SigV4): A-Z a-z 0-9 - _ . ~ kept, every other byte
 * %XX in upper case; '/' kept when keep_slash (key paths). */
char        *osi_s3_uri_encode            (const char   *text,
                                           gboolean      keep_slash);
/* The canonical query string of SigV4 from name, value pairs ended by a
 * NULL name (an empty value is "", never NULL): each encoded, sorted by name then
 * value, `name=value` joined by '&'. Also what the URL carries, so that
 * curl 7.88, which signs the query as it finds it, signs this. */
char        *osi_s3_canonical_query       (const char *const *params);

typedef struct
{
  char *endpoint;   /* scheme://host[:port] */
  char *bucket;
  char *prefix;     /* "" or without leading or trailing '/' */
} OsiS3Url;

gboolean     osi_s3_url_parse             (const char   *url,
                                           OsiS3Url     *parsed,
                                           GError      **error);
void         osi_s3_url_clear             (OsiS3Url     *parsed);

/* The answers' bodies. Each fails with OSI_S3_ERROR_PROTOCOL on a body
 * that is not the expected document. */
gboolean     osi_s3_parse_error           (const char   *body,
                                           gsize         length,
                                           char        **code,
                                           char        **message);
GPtrArray   *osi_s3_parse_list_objects    (const char   *body,
                                           gsize         length,
                                           char        **next_token,
                                           GError      **error);
GPtrArray   *osi_s3_parse_list_parts      (const char   *body,
                                           gsize         length,
                                           guint        *next_marker,
                                           GError      **error);
GPtrArray   *osi_s3_parse_list_uploads    (const char   *body,
                                           gsize         length,
                                           char        **next_key_marker,
                                           char        **next_upload_id_marker,
                                           GError      **error);
char        *osi_s3_parse_initiate        (const char   *body,
                                           gsize         length,
                                           GError      **error);
/* A CompleteMultipartUpload can fail after its 200 status line: the
 * body is then an <Error>, turned into the error it names. Returns the
 * ETag, "" when the answer has none. */
char        *osi_s3_parse_complete        (const char   *body,
                                           gsize         length,
                                           const char   *key,
                                           const char   *credentials_path,
                                           const char   *bucket,
                                           GError      **error);
/* The body of a CompleteMultipartUpload. */
char        *osi_s3_complete_body         (GPtrArray    *parts);

/* The error of an HTTP answer that is not 2xx. */
void         osi_s3_set_http_error        (GError      **error,
                                           long          status,
                                           const char   *body,
                                           gsize         length,
                                           const char   *what,
                                           const char   *credentials_path,
                                           const char   *bucket);

struct _OsiS3
{
  OsiS3Url  url;
  char     *access_key;
  char     *secret_key;
  char     *sigv4;              /* aws:amz:REGION:s3 */
  char     *credentials_path;
  GMutex    lock;               /* one call at a time on curl */
  void     *curl;               /* CURL */
};

/* One request (osi-s3-request.c). */
typedef struct
{
  OsiS3             *self;
  const char        *method;        /* GET HEAD PUT POST DELETE */
  const char        *key;           /* NULL: the bucket */
  char              *query;         /* canonical, or NULL */
  const char        *meta_sha256;   /* x-amz-meta-sha256 to send */
  const char        *content_type;

  /* A body built in memory (XML), or none */
  const char        *body;
  gsize              body_length;
  /* or streamed from a file */
  int                in_fd;
  goffset            in_offset;
  goffset            in_length;
  goffset            in_done;
  int                in_errno;
  gboolean           in_short;

  /* The answer: kept in memory (capped), or streamed into out_fd when the
   * status is 2xx */
  GByteArray        *response;
  gsize              response_cap;
  gboolean           response_over;
  int                out_fd;
  goffset            out_done;
  int                out_errno;

  OsiS3ProgressFunc  progress;
  gpointer           progress_data;
  GCancellable      *cancellable;

  long               status;
  char              *etag;
  char              *header_sha256;
  gint64             content_length;
} OsiS3Request;

void         osi_s3_request_init          (OsiS3Request      *request,
                                           OsiS3        *self,
                                           const char   *method,
                                           const char   *key);
void         osi_s3_request_clear         (OsiS3Request      *request);
/* Its canonical query, from name, value pairs as osi_s3_canonical_query. */
void         osi_s3_set_query             (OsiS3Request      *request,
                                           const char *const *params);
/* Runs it under the object's lock; FALSE with the error of its failure
 * or of a non-2xx answer. */
gboolean     osi_s3_run_locked            (OsiS3Request      *request,
                                           GError      **error);

G_END_DECLS
