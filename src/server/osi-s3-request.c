/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-s3"
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <glib/gi18n.h>

#include "osi-s3-private.h"

/* Signing (docs/api.md §7). libcurl signs with CURLOPT_AWS_SIGV4, but
 * Debian 12's curl 7.88 puts into the canonical request
 *   - the URL's path as it is: we encode each key segment ourselves
 *     (osi_s3_uri_encode) and set CURLOPT_PATH_AS_IS so that curl does not
 *     squash "." or ".." segments after signing what it sends;
 *   - the URL's query as it is, unsorted and unencoded: the URL carries
 *     the canonical query (osi_s3_canonical_query), so both agree;
 *   - every header of CURLOPT_HTTPHEADER, sorted: so no header goes there
 *     that curl does not send as is (an "Expect:" that removes a header
 *     would be signed, not sent, and the signature refused);
 *   - as payload hash, x-amz-content-sha256 when the request has it, or
 *     else the hash of CURLOPT_POSTFIELDS (of nothing for a streamed
 *     body). S3 requires the header anyway, so every request sends it:
 *     the SHA-256 of the bodies we build (XML, or none) and
 *     UNSIGNED-PAYLOAD for the bodies streamed from a file, which AWS and
 *     the RADOS Gateway accept on http and https alike.
 * The keys go in CURLOPT_USERNAME and CURLOPT_PASSWORD apart, so that a
 * ':' in a secret cannot split them elsewhere. */

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define MAX_ERROR_BODY (64 * 1024)

void
osi_s3_request_clear (OsiS3Request *request)
{
  g_free (request->query);
  g_clear_pointer (&request->response, g_byte_array_unref);
  g_free (request->etag);
  g_free (request->header_sha256);
}

void
osi_s3_request_init (OsiS3Request    *request,
              OsiS3      *self,
              const char *method,
              const char *key)
{
  memset (request, 0, sizeof *request);
  request->self = self;
  request->method = method;
  request->key = key;
  request->in_fd = -1;
  request->out_fd = -1;
  request->content_length = -1;
  request->response = g_byte_array_new ();
  request->response_cap = MAX_ERROR_BODY;
}

static long
current_status (OsiS3Request *request)
{
  long status = 0;

  curl_easy_getinfo (request->self->curl, CURLINFO_RESPONSE_CODE, &status);
  return status;
}

static size_t
write_cb (char   *data,
          size_t  size,
          size_t  count,
          void   *user_data)
{
  OsiS3Request *request = user_data;
  size_t length = size * count;
  long status = current_status (request);

  if (request->out_fd >= 0 && status >= 200 && status < 300)
    {
      for (size_t done = 0; done < length;)
        {
          ssize_t n = write (request->out_fd, data + done, length - done);

          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0)
            {
              request->out_errno = errno;
              return CURL_WRITEFUNC_ERROR;
            }
          done += n;
        }
      request->out_done += length;
      if (request->progress != NULL)
        request->progress (request->out_done, request->progress_data);
      return length;
    }

  if (request->response->len + length > request->response_cap)
    {
      /* Refused, never buffered: an error body keeps its beginning, which
       * holds the code; a listing that large is a protocol error. */
      request->response_over = TRUE;
      if (status >= 200 && status < 300)
        return CURL_WRITEFUNC_ERROR;
      length = request->response_cap - request->response->len;
      g_byte_array_append (request->response, (const guint8 *) data, length);
      return size * count;
    }
  g_byte_array_append (request->response, (const guint8 *) data, length);
  return length;
}

static size_t
read_cb (char   *buffer,
         size_t  size,
         size_t  count,
         void   *user_data)
{
  OsiS3Request *request = user_data;
  goffset left = request->in_length - request->in_done;
  size_t want = MIN ((goffset) (size * count), left);
  ssize_t n;

  if (want == 0)
    return 0;
  do
    n = pread (request->in_fd, buffer, want, request->in_offset + request->in_done);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    {
      request->in_errno = errno;
      return CURL_READFUNC_ABORT;
    }
  if (n == 0)
    {
      /* The file is shorter than when the length was taken. */
      request->in_short = TRUE;
      return CURL_READFUNC_ABORT;
    }
  request->in_done += n;
  if (request->progress != NULL)
    request->progress (request->in_done, request->progress_data);
  return n;
}

/* curl rewinds a body it must send again (a redirect, an authentication
 * round, an HTTP/2 stream refused). */
static int
seek_cb (void       *user_data,
         curl_off_t  offset,
         int         origin)
{
  OsiS3Request *request = user_data;

  if (origin != SEEK_SET || offset < 0 || offset > request->in_length)
    return CURL_SEEKFUNC_CANTSEEK;
  request->in_done = offset;
  return CURL_SEEKFUNC_OK;
}

static int
xferinfo_cb (void       *user_data,
             curl_off_t  dltotal,
             curl_off_t  dlnow,
             curl_off_t  ultotal,
             curl_off_t  ulnow)
{
  OsiS3Request *request = user_data;

  return g_cancellable_is_cancelled (request->cancellable) ? 1 : 0;
}

/* The value of a header line `name: value`, or NULL. */
static char *
header_value (const char *line,
              size_t      length,
              const char *name)
{
  size_t name_length = strlen (name);
  g_autofree char *value = NULL;

  if (length <= name_length || g_ascii_strncasecmp (line, name, name_length) != 0 ||
      line[name_length] != ':')
    return NULL;
  value = g_strndup (line + name_length + 1, length - name_length - 1);
  return g_strdup (g_strstrip (value));
}

static size_t
header_cb (char   *line,
           size_t  size,
           size_t  count,
           void   *user_data)
{
  OsiS3Request *request = user_data;
  size_t length = size * count;
  char *value;

  if (length >= 5 && strncmp (line, "HTTP/", 5) == 0)
    {
      /* A new answer (after a 100 Continue): forget the last one's. */
      g_clear_pointer (&request->etag, g_free);
      g_clear_pointer (&request->header_sha256, g_free);
      request->content_length = -1;
    }
  else if ((value = header_value (line, length, "ETag")) != NULL)
    {
      g_free (request->etag);
      request->etag = value;
    }
  else if ((value = header_value (line, length, "x-amz-meta-sha256")) != NULL)
    {
      g_free (request->header_sha256);
      request->header_sha256 = value;
    }
  else if ((value = header_value (line, length, "Content-Length")) != NULL)
    {
      guint64 number;

      if (g_ascii_string_to_unsigned (value, 10, 0, G_MAXINT64, &number, NULL))
        request->content_length = (gint64) number;
      g_free (value);
    }
  return length;
}

static char *
object_url (OsiS3Request *request)
{
  OsiS3 *self = request->self;
  g_autofree char *bucket = osi_s3_uri_encode (self->url.bucket, FALSE);
  g_autofree char *key = request->key != NULL ? osi_s3_uri_encode (request->key, TRUE) : NULL;

  return g_strconcat (self->url.endpoint, "/", bucket,
                      key != NULL ? "/" : "", key != NULL ? key : "",
                      request->query != NULL ? "?" : "", request->query != NULL ? request->query : "",
                      NULL);
}

static void
set_curl_error (OsiS3Request     *request,
                CURLcode     code,
                const char  *detail,
                GError     **error)
{
  if (g_cancellable_set_error_if_cancelled (request->cancellable, error))
    return;
  if (request->in_errno != 0)
    g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_LOCAL,
                 _("Cannot read the backup to copy it: %s"), g_strerror (request->in_errno));
  else if (request->in_short)
    g_set_error_literal (error, OSI_S3_ERROR, OSI_S3_ERROR_LOCAL,
                         _("The backup became shorter while it was copied."));
  else if (request->out_errno != 0)
    g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_LOCAL,
                 _("Cannot write the copy brought back: %s"), g_strerror (request->out_errno));
  else if (request->response_over)
    g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_PROTOCOL,
                 _("The off-site storage sent an answer that cannot be read: %s"),
                 _("the answer is too large"));
  else if (code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE ||
           code == CURLE_UNSUPPORTED_PROTOCOL || code == CURLE_URL_MALFORMAT ||
           code == CURLE_SSL_CERTPROBLEM || code == CURLE_COULDNT_RESOLVE_HOST)
    /* Waiting will not mend these (a name that does not resolve is
     * usually a typing error in --offsite-url). */
    g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_FAILED,
                 _("Cannot reach the off-site storage: %s"),
                 detail[0] != '\0' ? detail : curl_easy_strerror (code));
  else
    g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_TRANSIENT,
                 _("Cannot reach the off-site storage: %s"),
                 detail[0] != '\0' ? detail : curl_easy_strerror (code));
}

#define CHECK(call) G_STMT_START { if ((call) != CURLE_OK) goto setup_failed; } G_STMT_END

/* Runs the request; FALSE with the error of its failure or of a non-2xx
 * answer. */
static gboolean
request_run (OsiS3Request  *request,
             GError  **error)
{
  OsiS3 *self = request->self;
  CURL *curl = self->curl;
  struct curl_slist *headers = NULL;
  g_autofree char *url = NULL;
  g_autofree char *payload_header = NULL;
  g_autofree char *meta_header = NULL;
  g_autofree char *type_header = NULL;
  char detail[CURL_ERROR_SIZE] = "";
  CURLcode code;

  if (g_cancellable_set_error_if_cancelled (request->cancellable, error))
    return FALSE;

  url = object_url (request);
  curl_easy_reset (curl);
  CHECK (curl_easy_setopt (curl, CURLOPT_URL, url));
  CHECK (curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https"));
  CHECK (curl_easy_setopt (curl, CURLOPT_PATH_AS_IS, 1L));
  CHECK (curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L));
  CHECK (curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, detail));
  CHECK (curl_easy_setopt (curl, CURLOPT_AWS_SIGV4, self->sigv4));
  CHECK (curl_easy_setopt (curl, CURLOPT_USERNAME, self->access_key));
  CHECK (curl_easy_setopt (curl, CURLOPT_PASSWORD, self->secret_key));
  CHECK (curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT, 30L));
  /* A transfer stalled for a minute is dropped, then retried by the
   * caller; no limit on a whole transfer, which may be long. */
  CHECK (curl_easy_setopt (curl, CURLOPT_LOW_SPEED_LIMIT, 1L));
  CHECK (curl_easy_setopt (curl, CURLOPT_LOW_SPEED_TIME, 60L));
  CHECK (curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, write_cb));
  CHECK (curl_easy_setopt (curl, CURLOPT_WRITEDATA, request));
  CHECK (curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, header_cb));
  CHECK (curl_easy_setopt (curl, CURLOPT_HEADERDATA, request));
  CHECK (curl_easy_setopt (curl, CURLOPT_NOPROGRESS, 0L));
  CHECK (curl_easy_setopt (curl, CURLOPT_XFERINFOFUNCTION, xferinfo_cb));
  CHECK (curl_easy_setopt (curl, CURLOPT_XFERINFODATA, request));

  if (request->in_fd >= 0)
    {
      CHECK (curl_easy_setopt (curl, CURLOPT_UPLOAD, 1L));
      CHECK (curl_easy_setopt (curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t) request->in_length));
      CHECK (curl_easy_setopt (curl, CURLOPT_READFUNCTION, read_cb));
      CHECK (curl_easy_setopt (curl, CURLOPT_READDATA, request));
      CHECK (curl_easy_setopt (curl, CURLOPT_SEEKFUNCTION, seek_cb));
      CHECK (curl_easy_setopt (curl, CURLOPT_SEEKDATA, request));
      payload_header = g_strdup ("x-amz-content-sha256: UNSIGNED-PAYLOAD");
    }
  else
    {
      if (strcmp (request->method, "POST") == 0)
        {
          CHECK (curl_easy_setopt (curl, CURLOPT_POST, 1L));
          CHECK (curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) request->body_length));
          CHECK (curl_easy_setopt (curl, CURLOPT_POSTFIELDS, request->body != NULL ? request->body : ""));
        }
      else if (strcmp (request->method, "HEAD") == 0)
        CHECK (curl_easy_setopt (curl, CURLOPT_NOBODY, 1L));
      else if (strcmp (request->method, "GET") != 0)
        CHECK (curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, request->method));
      if (request->body_length > 0)
        {
          g_autofree char *hash = g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                                               (const guchar *) request->body,
                                                               request->body_length);

          payload_header = g_strconcat ("x-amz-content-sha256: ", hash, NULL);
        }
      else
        payload_header = g_strdup ("x-amz-content-sha256: " EMPTY_SHA256);
    }
  headers = curl_slist_append (headers, payload_header);
  if (request->meta_sha256 != NULL)
    {
      meta_header = g_strconcat ("x-amz-meta-sha256: ", request->meta_sha256, NULL);
      headers = curl_slist_append (headers, meta_header);
    }
  if (request->content_type != NULL)
    {
      type_header = g_strconcat ("Content-Type: ", request->content_type, NULL);
      headers = curl_slist_append (headers, type_header);
    }
  CHECK (curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers));

  code = curl_easy_perform (curl);
  /* The reset below leaves no pointer to these in the handle. */
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, NULL);
  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, NULL);
  curl_slist_free_all (headers);
  request->status = current_status (request);

  if (code != CURLE_OK)
    {
      set_curl_error (request, code, detail, error);
      return FALSE;
    }
  if (request->status < 200 || request->status >= 300)
    {
      osi_s3_set_http_error (error, request->status, (const char *) request->response->data,
                             request->response->len, request->key, self->credentials_path,
                             self->url.bucket);
      return FALSE;
    }
  return TRUE;

setup_failed:
  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, NULL);
  curl_slist_free_all (headers);
  g_set_error_literal (error, OSI_S3_ERROR, OSI_S3_ERROR_LOCAL,
                       _("Cannot start libcurl for the off-site copies."));
  return FALSE;
}

#undef CHECK

/* Runs a request under the object's lock. */
gboolean
osi_s3_run_locked (OsiS3Request  *request,
            GError  **error)
{
  gboolean ok;

  g_mutex_lock (&request->self->lock);
  ok = request_run (request, error);
  g_mutex_unlock (&request->self->lock);
  return ok;
}

void
osi_s3_set_query (OsiS3Request *request,
           const char *const *params)
{
  g_free (request->query);
  request->query = osi_s3_canonical_query (params);
}
