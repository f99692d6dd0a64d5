/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-s3"
#include "config.h"

#include <glib/gi18n.h>

#include "osi-s3-private.h"

/* S3's answers (docs/api.md §7) read through GMarkup into a small tree.
 * GMarkup expands no entity but the five predefined ones and character
 * references, so a hostile body cannot grow; its size is capped before
 * (OSI_S3_MAX_BODY), its depth and element count here. */

#define MAX_DEPTH 16
#define MAX_NODES 100000

typedef struct _Node Node;
struct _Node
{
  char      *name;
  GString   *text;
  GPtrArray *children;     /* Node */
  Node      *parent;
};

typedef struct
{
  Node  *root;
  Node  *current;
  guint  depth;
  guint  nodes;
} Builder;

static void
node_free (Node *node)
{
  if (node == NULL)
    return;
  g_free (node->name);
  g_string_free (node->text, TRUE);
  g_ptr_array_unref (node->children);
  g_free (node);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Node, node_free)

static Node *
node_new (const char *name,
          Node       *parent)
{
  Node *node = g_new0 (Node, 1);

  node->name = g_strdup (name);
  node->text = g_string_new (NULL);
  node->children = g_ptr_array_new_with_free_func ((GDestroyNotify) node_free);
  node->parent = parent;
  return node;
}

static void
start_element (GMarkupParseContext  *context,
               const char           *name,
               const char          **attribute_names,
               const char          **attribute_values,
               gpointer              user_data,
               GError              **error)
{
  Builder *builder = user_data;
  Node *node;

  if (++builder->depth > MAX_DEPTH || ++builder->nodes > MAX_NODES)
    {
      g_set_error_literal (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
                           _("too deep or too many elements"));
      return;
    }
  if (builder->current == NULL)
    {
      if (builder->root != NULL)
        {
          g_set_error_literal (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
                               _("more than one document"));
          return;
        }
      builder->root = node = node_new (name, NULL);
    }
  else
    {
      node = node_new (name, builder->current);
      g_ptr_array_add (builder->current->children, node);
    }
  builder->current = node;
}

static void
end_element (GMarkupParseContext  *context,
             const char           *name,
             gpointer              user_data,
             GError              **error)
{
  Builder *builder = user_data;

  builder->depth--;
  builder->current = builder->current->parent;
}

static void
text (GMarkupParseContext  *context,
      const char           *text,
      gsize                 length,
      gpointer              user_data,
      GError              **error)
{
  Builder *builder = user_data;

  /* Text between elements is whitespace in S3's documents; the body's cap
   * bounds it anyway. */
  if (builder->current != NULL && builder->current->children->len == 0)
    g_string_append_len (builder->current->text, text, length);
}

static const GMarkupParser parser = { start_element, end_element, text, NULL, NULL };

static void
set_protocol_error (GError     **error,
                    const char  *detail)
{
  g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_PROTOCOL,
               _("The off-site storage sent an answer that cannot be read: %s"), detail);
}

/* The document's root element, when it is named `root_name`. */
static Node *
parse (const char  *body,
       gsize        length,
       const char  *root_name,
       GError     **error)
{
  Builder builder = { NULL, NULL, 0, 0 };
  g_autoptr(GMarkupParseContext) context = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(Node) root = NULL;

  if (length > OSI_S3_MAX_BODY)
    {
      set_protocol_error (error, _("the answer is too large"));
      return NULL;
    }
  context = g_markup_parse_context_new (&parser, G_MARKUP_PREFIX_ERROR_POSITION, &builder, NULL);
  if (!g_markup_parse_context_parse (context, body, length, &local_error) ||
      !g_markup_parse_context_end_parse (context, &local_error))
    {
      node_free (builder.root);
      set_protocol_error (error, local_error->message);
      return NULL;
    }
  root = builder.root;
  if (root == NULL)
    {
      set_protocol_error (error, _("the answer is empty"));
      return NULL;
    }
  if (g_strcmp0 (root->name, root_name) != 0)
    {
      g_autofree char *detail = g_strdup_printf (_("“%s” instead of “%s”"), root->name, root_name);

      set_protocol_error (error, detail);
      return NULL;
    }
  return g_steal_pointer (&root);
}

static Node *
child (Node       *node,
       const char *name)
{
  for (guint i = 0; i < node->children->len; i++)
    {
      Node *c = g_ptr_array_index (node->children, i);

      if (strcmp (c->name, name) == 0)
        return c;
    }
  return NULL;
}

static const char *
child_text (Node       *node,
            const char *name)
{
  Node *c = child (node, name);

  return c != NULL ? c->text->str : NULL;
}

static const char *
required_text (Node        *node,
               const char  *name,
               GError     **error)
{
  const char *value = child_text (node, name);

  if (value == NULL || value[0] == '\0')
    {
      g_autofree char *detail = g_strdup_printf (_("“%s” is missing"), name);

      set_protocol_error (error, detail);
      return NULL;
    }
  return value;
}

static gboolean
required_number (Node        *node,
                 const char  *name,
                 guint64      min,
                 guint64      max,
                 guint64     *number,
                 GError     **error)
{
  const char *value = required_text (node, name, error);
  g_autofree char *stripped = NULL;

  if (value == NULL)
    return FALSE;
  stripped = g_strstrip (g_strdup (value));
  if (!g_ascii_string_to_unsigned (stripped, 10, min, max, number, NULL))
    {
      g_autofree char *detail = g_strdup_printf (_("“%s” is not a number"), name);

      set_protocol_error (error, detail);
      return FALSE;
    }
  return TRUE;
}

static gboolean
is_truncated (Node *root)
{
  const char *value = child_text (root, "IsTruncated");

  return value != NULL && g_ascii_strcasecmp (value, "true") == 0;
}

gboolean
osi_s3_parse_error (const char  *body,
                    gsize        length,
                    char       **code,
                    char       **message)
{
  g_autoptr(Node) root = parse (body, length, "Error", NULL);

  if (root == NULL || child_text (root, "Code") == NULL)
    return FALSE;
  *code = g_strdup (child_text (root, "Code"));
  *message = g_strdup (child_text (root, "Message"));
  return TRUE;
}

GPtrArray *
osi_s3_parse_list_objects (const char  *body,
                           gsize        length,
                           char       **next_token,
                           GError     **error)
{
  g_autoptr(Node) root = parse (body, length, "ListBucketResult", error);
  g_autoptr(GPtrArray) objects = NULL;

  *next_token = NULL;
  if (root == NULL)
    return NULL;
  objects = g_ptr_array_new_with_free_func ((GDestroyNotify) osi_s3_object_free);
  for (guint i = 0; i < root->children->len; i++)
    {
      Node *c = g_ptr_array_index (root->children, i);
      g_autoptr(OsiS3Object) object = NULL;
      const char *key;
      guint64 size;

      if (strcmp (c->name, "Contents") != 0)
        continue;
      if ((key = required_text (c, "Key", error)) == NULL ||
          !required_number (c, "Size", 0, G_MAXINT64, &size, error))
        return NULL;
      object = g_new0 (OsiS3Object, 1);
      object->key = g_strdup (key);
      object->size = (gint64) size;
      object->etag = g_strdup (child_text (c, "ETag"));
      object->last_modified = g_strdup (child_text (c, "LastModified"));
      g_ptr_array_add (objects, g_steal_pointer (&object));
    }
  if (is_truncated (root))
    {
      const char *token = required_text (root, "NextContinuationToken", error);

      if (token == NULL)
        return NULL;
      *next_token = g_strdup (token);
    }
  return g_steal_pointer (&objects);
}

GPtrArray *
osi_s3_parse_list_parts (const char  *body,
                         gsize        length,
                         guint       *next_marker,
                         GError     **error)
{
  g_autoptr(Node) root = parse (body, length, "ListPartsResult", error);
  g_autoptr(GPtrArray) parts = NULL;

  *next_marker = 0;
  if (root == NULL)
    return NULL;
  parts = g_ptr_array_new_with_free_func ((GDestroyNotify) osi_s3_part_free);
  for (guint i = 0; i < root->children->len; i++)
    {
      Node *c = g_ptr_array_index (root->children, i);
      g_autoptr(OsiS3Part) part = NULL;
      guint64 number, size;
      const char *etag;

      if (strcmp (c->name, "Part") != 0)
        continue;
      /* S3 numbers parts 1 to 10,000. */
      if (!required_number (c, "PartNumber", 1, 10000, &number, error) ||
          (etag = required_text (c, "ETag", error)) == NULL ||
          !required_number (c, "Size", 0, G_MAXINT64, &size, error))
        return NULL;
      part = g_new0 (OsiS3Part, 1);
      part->number = (guint) number;
      part->etag = g_strdup (etag);
      part->size = (gint64) size;
      g_ptr_array_add (parts, g_steal_pointer (&part));
    }
  if (is_truncated (root))
    {
      guint64 marker;

      if (!required_number (root, "NextPartNumberMarker", 1, 10000, &marker, error))
        return NULL;
      *next_marker = (guint) marker;
    }
  return g_steal_pointer (&parts);
}

GPtrArray *
osi_s3_parse_list_uploads (const char  *body,
                           gsize        length,
                           char       **next_key_marker,
                           char       **next_upload_id_marker,
                           GError     **error)
{
  g_autoptr(Node) root = parse (body, length, "ListMultipartUploadsResult", error);
  g_autoptr(GPtrArray) uploads = NULL;

  *next_key_marker = NULL;
  *next_upload_id_marker = NULL;
  if (root == NULL)
    return NULL;
  uploads = g_ptr_array_new_with_free_func ((GDestroyNotify) osi_s3_upload_free);
  for (guint i = 0; i < root->children->len; i++)
    {
      Node *c = g_ptr_array_index (root->children, i);
      g_autoptr(OsiS3Upload) upload = NULL;
      const char *key, *upload_id;

      if (strcmp (c->name, "Upload") != 0)
        continue;
      if ((key = required_text (c, "Key", error)) == NULL ||
          (upload_id = required_text (c, "UploadId", error)) == NULL)
        return NULL;
      upload = g_new0 (OsiS3Upload, 1);
      upload->key = g_strdup (key);
      upload->upload_id = g_strdup (upload_id);
      upload->initiated = g_strdup (child_text (c, "Initiated"));
      g_ptr_array_add (uploads, g_steal_pointer (&upload));
    }
  if (is_truncated (root))
    {
      const char *key_marker = required_text (root, "NextKeyMarker", error);
      const char *id_marker;

      if (key_marker == NULL)
        return NULL;
      id_marker = child_text (root, "NextUploadIdMarker");
      *next_key_marker = g_strdup (key_marker);
      *next_upload_id_marker = g_strdup (id_marker != NULL ? id_marker : "");
    }
  return g_steal_pointer (&uploads);
}

char *
osi_s3_parse_initiate (const char  *body,
                       gsize        length,
                       GError     **error)
{
  g_autoptr(Node) root = parse (body, length, "InitiateMultipartUploadResult", error);
  const char *upload_id;

  if (root == NULL || (upload_id = required_text (root, "UploadId", error)) == NULL)
    return NULL;
  return g_strdup (upload_id);
}

char *
osi_s3_parse_complete (const char  *body,
                       gsize        length,
                       const char  *key,
                       const char  *credentials_path,
                       const char  *bucket,
                       GError     **error)
{
  g_autoptr(Node) root = NULL;
  g_autofree char *code = NULL;
  g_autofree char *message = NULL;
  const char *etag;

  if (osi_s3_parse_error (body, length, &code, &message))
    {
      /* The status line said 200 before the work was done; what failed is
       * in the body. An InternalError here is worth a retry. */
      osi_s3_set_http_error (error, 200, body, length, key, credentials_path, bucket);
      return NULL;
    }
  root = parse (body, length, "CompleteMultipartUploadResult", error);
  if (root == NULL)
    return NULL;
  /* The RADOS Gateway of Debian 12 (16.2) sends an empty <ETag/>: the
   * caller checks the object by its size and SHA-256 anyway. */
  etag = child_text (root, "ETag");
  return g_strdup (etag != NULL ? etag : "");
}

char *
osi_s3_complete_body (GPtrArray *parts)
{
  GString *body = g_string_new ("<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");

  for (guint i = 0; i < parts->len; i++)
    {
      OsiS3Part *part = g_ptr_array_index (parts, i);
      g_autofree char *etag = g_markup_escape_text (part->etag, -1);

      g_string_append_printf (body, "<Part><PartNumber>%u</PartNumber><ETag>%s</ETag></Part>",
                              part->number, etag);
    }
  g_string_append (body, "</CompleteMultipartUpload>");
  return g_string_free (body, FALSE);
}

static gboolean
code_is (const char *code,
         const char *const *codes)
{
  return code != NULL && g_strv_contains (codes, code);
}

void
osi_s3_set_http_error (GError     **error,
                       long         status,
                       const char  *body,
                       gsize        length,
                       const char  *what,
                       const char  *credentials_path,
                       const char  *bucket)
{
  static const char *const auth_codes[] = {
    "SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied", "InvalidToken",
    "ExpiredToken", "AuthorizationHeaderMalformed", "InvalidSecurity", NULL
  };
  static const char *const not_found_codes[] = { "NoSuchKey", "NoSuchUpload", "NotFound", NULL };
  static const char *const transient_codes[] = {
    "SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout", "Throttling",
    "ThrottlingException", NULL
  };
  g_autofree char *code = NULL;
  g_autofree char *message = NULL;
  g_autofree char *reason = NULL;

  if (body == NULL || !osi_s3_parse_error (body, length, &code, &message))
    g_clear_pointer (&code, g_free);

  if (g_strcmp0 (code, "RequestTimeTooSkewed") == 0)
    g_set_error_literal (error, OSI_S3_ERROR, OSI_S3_ERROR_AUTH,
                         _("The off-site storage and this server disagree on the time: set this server’s clock (NTP)."));
  else if (code_is (code, auth_codes) || (code == NULL && (status == 401 || status == 403)))
    {
      if (credentials_path != NULL)
        g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_AUTH,
                     _("The off-site storage refused the credentials: check access_key and secret_key in %s."),
                     credentials_path);
      else
        g_set_error_literal (error, OSI_S3_ERROR, OSI_S3_ERROR_AUTH,
                             _("The off-site storage refused the credentials: check the access key and the secret key."));
    }
  else if (g_strcmp0 (code, "NoSuchBucket") == 0)
    g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_NO_BUCKET,
                 _("The bucket “%s” does not exist on the off-site storage: create it, or correct --offsite-url."),
                 bucket);
  else if (code_is (code, not_found_codes) || (code == NULL && status == 404))
    g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_NOT_FOUND,
                 _("The off-site storage has no “%s”."), what != NULL ? what : "");
  else if (code_is (code, transient_codes) || status >= 500 || status == 429)
    g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_TRANSIENT,
                 _("The off-site storage is busy or failing (HTTP %ld %s); try again later."),
                 status, code != NULL ? code : "");
  else
    {
      if (message != NULL && message[0] != '\0')
        reason = g_strdup (message);
      g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_FAILED,
                   _("The off-site storage refused the request (HTTP %ld %s): %s"),
                   status, code != NULL ? code : "", reason != NULL ? reason : "");
    }
}
