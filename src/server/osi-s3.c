/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-s3"
#include "config.h"

#include <string.h>

#include <curl/curl.h>
#include <glib/gi18n.h>

#include "osi-s3-private.h"
#include "osi-wipe.h"

/* The calls of osi-s3.h; the requests they make, and how they are signed,
 * are in osi-s3-request.c. */

G_DEFINE_QUARK (osi-s3-error-quark, osi_s3_error)

void
osi_s3_object_free (OsiS3Object *object)
{
  if (object == NULL)
    return;
  g_free (object->key);
  g_free (object->etag);
  g_free (object->last_modified);
  g_free (object);
}

void
osi_s3_part_free (OsiS3Part *part)
{
  if (part == NULL)
    return;
  g_free (part->etag);
  g_free (part);
}

void
osi_s3_upload_free (OsiS3Upload *upload)
{
  if (upload == NULL)
    return;
  g_free (upload->key);
  g_free (upload->upload_id);
  g_free (upload->initiated);
  g_free (upload);
}

void
osi_s3_head_clear (OsiS3Head *head)
{
  g_clear_pointer (&head->etag, g_free);
  g_clear_pointer (&head->sha256, g_free);
  head->size = 0;
}

/* The object */

static gpointer
init_curl (gpointer data)
{
  /* Once, before any thread makes a handle (curl_global_init is not
   * thread-safe in 7.88 with OpenSSL 3 builds). */
  return GINT_TO_POINTER (curl_global_init (CURL_GLOBAL_DEFAULT));
}

OsiS3 *
osi_s3_new (const char  *url,
            const char  *access_key,
            const char  *secret_key,
            const char  *region,
            const char  *credentials_path,
            GError     **error)
{
  static GOnce once = G_ONCE_INIT;
  g_autoptr(OsiS3) self = NULL;

  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (access_key != NULL && secret_key != NULL, NULL);

  if (region == NULL || region[0] == '\0')
    region = "us-east-1";
  /* The region goes into the signature's scope, between ':'. */
  for (const char *p = region; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      {
        g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID,
                     _("“%s” is not a region name: letters, digits, hyphens and underscores, such as us-east-1."), region);
        return NULL;
      }

  self = g_new0 (OsiS3, 1);
  g_mutex_init (&self->lock);
  if (!osi_s3_url_parse (url, &self->url, error))
    return NULL;
  if (GPOINTER_TO_INT (g_once (&once, init_curl, NULL)) != CURLE_OK ||
      (self->curl = curl_easy_init ()) == NULL)
    {
      g_set_error_literal (error, OSI_S3_ERROR, OSI_S3_ERROR_LOCAL,
                           _("Cannot start libcurl for the off-site copies."));
      return NULL;
    }
  self->access_key = g_strdup (access_key);
  self->secret_key = g_strdup (secret_key);
  self->sigv4 = g_strdup_printf ("aws:amz:%s:s3", region);
  self->credentials_path = g_strdup (credentials_path);
  return g_steal_pointer (&self);
}

void
osi_s3_free (OsiS3 *self)
{
  if (self == NULL)
    return;
  if (self->curl != NULL)
    curl_easy_cleanup (self->curl);
  osi_s3_url_clear (&self->url);
  g_free (self->access_key);
  osi_wipe_free (self->secret_key);
  g_free (self->sigv4);
  g_free (self->credentials_path);
  g_mutex_clear (&self->lock);
  g_free (self);
}

const char *
osi_s3_get_endpoint (OsiS3 *self)
{
  return self->url.endpoint;
}

const char *
osi_s3_get_bucket (OsiS3 *self)
{
  return self->url.bucket;
}

const char *
osi_s3_get_prefix (OsiS3 *self)
{
  return self->url.prefix;
}

/* The calls */

gboolean
osi_s3_head_object (OsiS3         *self,
                    const char    *key,
                    OsiS3Head     *head,
                    GCancellable  *cancellable,
                    GError       **error)
{
  OsiS3Request request;
  gboolean ok;

  g_return_val_if_fail (self != NULL && key != NULL && head != NULL, FALSE);

  osi_s3_request_init (&request, self, "HEAD", key);
  request.cancellable = cancellable;
  ok = osi_s3_run_locked (&request, error);
  if (ok && request.content_length < 0)
    {
      g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_PROTOCOL,
                   _("The off-site storage sent an answer that cannot be read: %s"),
                   _("“Content-Length” is missing"));
      ok = FALSE;
    }
  if (ok)
    {
      head->size = request.content_length;
      head->etag = g_steal_pointer (&request.etag);
      head->sha256 = g_steal_pointer (&request.header_sha256);
    }
  osi_s3_request_clear (&request);
  return ok;
}

static char *
take_etag (OsiS3Request  *request,
           GError  **error)
{
  if (request->etag == NULL || request->etag[0] == '\0')
    {
      g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_PROTOCOL,
                   _("The off-site storage sent an answer that cannot be read: %s"),
                   _("“ETag” is missing"));
      return NULL;
    }
  return g_steal_pointer (&request->etag);
}

static char *
put_from_fd (OsiS3              *self,
             const char         *key,
             const char *const  *params,
             int                 fd,
             goffset             offset,
             goffset             length,
             const char         *sha256,
             OsiS3ProgressFunc   progress,
             gpointer            progress_data,
             GCancellable       *cancellable,
             GError            **error)
{
  OsiS3Request request;
  char *etag = NULL;

  osi_s3_request_init (&request, self, "PUT", key);
  if (params != NULL)
    osi_s3_set_query (&request, params);
  request.in_fd = fd;
  request.in_offset = offset;
  request.in_length = length;
  request.meta_sha256 = sha256;
  request.progress = progress;
  request.progress_data = progress_data;
  request.cancellable = cancellable;
  if (osi_s3_run_locked (&request, error))
    etag = take_etag (&request, error);
  osi_s3_request_clear (&request);
  return etag;
}

char *
osi_s3_put_object (OsiS3         *self,
                   const char    *key,
                   int            fd,
                   goffset        offset,
                   goffset        length,
                   const char    *sha256,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_return_val_if_fail (self != NULL && key != NULL && fd >= 0, NULL);
  g_return_val_if_fail (offset >= 0 && length >= 0, NULL);

  return put_from_fd (self, key, NULL, fd, offset, length, sha256, NULL, NULL, cancellable, error);
}

char *
osi_s3_create_multipart_upload (OsiS3         *self,
                                const char    *key,
                                const char    *sha256,
                                GCancellable  *cancellable,
                                GError       **error)
{
  const char *const params[] = { "uploads", "", NULL };
  OsiS3Request request;
  char *upload_id = NULL;

  g_return_val_if_fail (self != NULL && key != NULL, NULL);

  osi_s3_request_init (&request, self, "POST", key);
  osi_s3_set_query (&request, params);
  request.meta_sha256 = sha256;
  request.cancellable = cancellable;
  if (osi_s3_run_locked (&request, error))
    upload_id = osi_s3_parse_initiate ((const char *) request.response->data,
                                       request.response->len, error);
  osi_s3_request_clear (&request);
  return upload_id;
}

char *
osi_s3_upload_part (OsiS3              *self,
                    const char         *key,
                    const char         *upload_id,
                    guint               part_number,
                    int                 fd,
                    goffset             offset,
                    goffset             length,
                    OsiS3ProgressFunc   progress,
                    gpointer            progress_data,
                    GCancellable       *cancellable,
                    GError            **error)
{
  g_autofree char *number = NULL;

  g_return_val_if_fail (self != NULL && key != NULL && upload_id != NULL, NULL);
  g_return_val_if_fail (part_number >= 1 && part_number <= 10000, NULL);
  g_return_val_if_fail (fd >= 0 && offset >= 0 && length >= 0, NULL);

  number = g_strdup_printf ("%u", part_number);
  {
    const char *const params[] = { "partNumber", number, "uploadId", upload_id, NULL };

    return put_from_fd (self, key, params, fd, offset, length, NULL, progress, progress_data,
                        cancellable, error);
  }
}

char *
osi_s3_complete_multipart_upload (OsiS3         *self,
                                  const char    *key,
                                  const char    *upload_id,
                                  GPtrArray     *parts,
                                  GCancellable  *cancellable,
                                  GError       **error)
{
  const char *const params[] = { "uploadId", upload_id, NULL };
  g_autofree char *body = NULL;
  OsiS3Request request;
  char *etag = NULL;

  g_return_val_if_fail (self != NULL && key != NULL && upload_id != NULL, NULL);
  g_return_val_if_fail (parts != NULL && parts->len > 0, NULL);

  body = osi_s3_complete_body (parts);
  osi_s3_request_init (&request, self, "POST", key);
  osi_s3_set_query (&request, params);
  request.body = body;
  request.body_length = strlen (body);
  request.content_type = "application/xml";
  request.cancellable = cancellable;
  if (osi_s3_run_locked (&request, error))
    etag = osi_s3_parse_complete ((const char *) request.response->data, request.response->len,
                                  key, self->credentials_path, self->url.bucket, error);
  if (etag != NULL && etag[0] == '\0' && request.etag != NULL)
    {
      g_free (etag);
      etag = g_steal_pointer (&request.etag);
    }
  osi_s3_request_clear (&request);
  return etag;
}

gboolean
osi_s3_abort_multipart_upload (OsiS3         *self,
                               const char    *key,
                               const char    *upload_id,
                               GCancellable  *cancellable,
                               GError       **error)
{
  const char *const params[] = { "uploadId", upload_id, NULL };
  OsiS3Request request;
  gboolean ok;

  g_return_val_if_fail (self != NULL && key != NULL && upload_id != NULL, FALSE);

  osi_s3_request_init (&request, self, "DELETE", key);
  osi_s3_set_query (&request, params);
  request.cancellable = cancellable;
  ok = osi_s3_run_locked (&request, error);
  osi_s3_request_clear (&request);
  return ok;
}

/* A GET of the bucket or an object whose answer is XML, up to
 * OSI_S3_MAX_BODY. */
static GByteArray *
get_document (OsiS3              *self,
              const char         *key,
              const char *const  *params,
              GCancellable       *cancellable,
              GError            **error)
{
  OsiS3Request request;
  GByteArray *body = NULL;

  osi_s3_request_init (&request, self, "GET", key);
  osi_s3_set_query (&request, params);
  request.response_cap = OSI_S3_MAX_BODY;
  request.cancellable = cancellable;
  if (osi_s3_run_locked (&request, error))
    body = g_steal_pointer (&request.response);
  osi_s3_request_clear (&request);
  return body;
}

GPtrArray *
osi_s3_list_multipart_uploads (OsiS3         *self,
                               const char    *prefix,
                               GCancellable  *cancellable,
                               GError       **error)
{
  g_autoptr(GPtrArray) uploads = g_ptr_array_new_with_free_func ((GDestroyNotify) osi_s3_upload_free);
  g_autofree char *key_marker = NULL;
  g_autofree char *id_marker = NULL;

  g_return_val_if_fail (self != NULL && prefix != NULL, NULL);

  do
    {
      const char *params[] = { "uploads", "", "prefix", prefix, NULL, NULL, NULL, NULL, NULL };
      g_autoptr(GByteArray) body = NULL;
      g_autoptr(GPtrArray) page = NULL;
      g_autofree char *next_key = NULL;
      g_autofree char *next_id = NULL;

      if (key_marker != NULL)
        {
          params[4] = "key-marker";
          params[5] = key_marker;
          params[6] = "upload-id-marker";
          params[7] = id_marker;
        }
      body = get_document (self, NULL, params, cancellable, error);
      if (body == NULL)
        return NULL;
      page = osi_s3_parse_list_uploads ((const char *) body->data, body->len, &next_key, &next_id, error);
      if (page == NULL)
        return NULL;
      if (next_key != NULL && g_strcmp0 (next_key, key_marker) == 0 && g_strcmp0 (next_id, id_marker) == 0)
        {
          /* A server that sends the same page again would keep us here. */
          g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_PROTOCOL,
                       _("The off-site storage sent an answer that cannot be read: %s"),
                       _("the listing does not move on"));
          return NULL;
        }
      g_ptr_array_extend_and_steal (uploads, g_steal_pointer (&page));
      g_free (key_marker);
      g_free (id_marker);
      key_marker = g_steal_pointer (&next_key);
      id_marker = g_steal_pointer (&next_id);
    }
  while (key_marker != NULL);
  return g_steal_pointer (&uploads);
}

GPtrArray *
osi_s3_list_parts (OsiS3         *self,
                   const char    *key,
                   const char    *upload_id,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func ((GDestroyNotify) osi_s3_part_free);
  guint marker = 0;

  g_return_val_if_fail (self != NULL && key != NULL && upload_id != NULL, NULL);

  do
    {
      g_autofree char *marker_text = g_strdup_printf ("%u", marker);
      const char *params[] = { "uploadId", upload_id, NULL, NULL, NULL };
      g_autoptr(GByteArray) body = NULL;
      g_autoptr(GPtrArray) page = NULL;
      guint next = 0;

      if (marker > 0)
        {
          params[2] = "part-number-marker";
          params[3] = marker_text;
        }
      body = get_document (self, key, params, cancellable, error);
      if (body == NULL)
        return NULL;
      page = osi_s3_parse_list_parts ((const char *) body->data, body->len, &next, error);
      if (page == NULL)
        return NULL;
      if (next != 0 && next <= marker)
        {
          g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_PROTOCOL,
                       _("The off-site storage sent an answer that cannot be read: %s"),
                       _("the listing does not move on"));
          return NULL;
        }
      g_ptr_array_extend_and_steal (parts, g_steal_pointer (&page));
      marker = next;
    }
  while (marker != 0);
  return g_steal_pointer (&parts);
}

GPtrArray *
osi_s3_list_objects (OsiS3         *self,
                     const char    *prefix,
                     const char    *continuation_token,
                     char         **next_token,
                     GCancellable  *cancellable,
                     GError       **error)
{
  const char *params[] = { "list-type", "2", "prefix", prefix, NULL, NULL, NULL };
  g_autoptr(GByteArray) body = NULL;

  g_return_val_if_fail (self != NULL && prefix != NULL && next_token != NULL, NULL);

  *next_token = NULL;
  if (continuation_token != NULL)
    {
      params[4] = "continuation-token";
      params[5] = continuation_token;
    }
  body = get_document (self, NULL, params, cancellable, error);
  if (body == NULL)
    return NULL;
  return osi_s3_parse_list_objects ((const char *) body->data, body->len, next_token, error);
}

gboolean
osi_s3_get_object (OsiS3              *self,
                   const char         *key,
                   int                 fd,
                   gint64             *size,
                   OsiS3ProgressFunc   progress,
                   gpointer            progress_data,
                   GCancellable       *cancellable,
                   GError            **error)
{
  OsiS3Request request;
  gboolean ok;

  g_return_val_if_fail (self != NULL && key != NULL && fd >= 0, FALSE);

  osi_s3_request_init (&request, self, "GET", key);
  request.out_fd = fd;
  request.progress = progress;
  request.progress_data = progress_data;
  request.cancellable = cancellable;
  ok = osi_s3_run_locked (&request, error);
  if (ok && size != NULL)
    *size = request.out_done;
  osi_s3_request_clear (&request);
  return ok;
}

gboolean
osi_s3_delete_object (OsiS3         *self,
                      const char    *key,
                      GCancellable  *cancellable,
                      GError       **error)
{
  OsiS3Request request;
  gboolean ok;

  g_return_val_if_fail (self != NULL && key != NULL, FALSE);

  osi_s3_request_init (&request, self, "DELETE", key);
  request.cancellable = cancellable;
  ok = osi_s3_run_locked (&request, error);
  osi_s3_request_clear (&request);
  return ok;
}
