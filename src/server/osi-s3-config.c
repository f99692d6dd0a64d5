/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-s3"
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "osi-private-file.h"
#include "osi-s3-private.h"

#define MAX_CREDENTIALS_FILE (64 * 1024)

/* Encoding and the canonical query (AWS SigV4, "Create a canonical
 * request"). */

char *
osi_s3_uri_encode (const char *text,
                   gboolean    keep_slash)
{
  static const char hex[] = "0123456789ABCDEF";
  GString *out = g_string_sized_new (strlen (text) + 16);

  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    {
      if (g_ascii_isalnum (*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~' ||
          (keep_slash && *p == '/'))
        g_string_append_c (out, *p);
      else
        {
          g_string_append_c (out, '%');
          g_string_append_c (out, hex[*p >> 4]);
          g_string_append_c (out, hex[*p & 0xf]);
        }
    }
  return g_string_free (out, FALSE);
}

typedef struct
{
  char *name;
  char *value;
} Param;

static int
compare_params (gconstpointer a,
                gconstpointer b)
{
  const Param *pa = a;
  const Param *pb = b;
  int by_name = strcmp (pa->name, pb->name);

  return by_name != 0 ? by_name : strcmp (pa->value, pb->value);
}

char *
osi_s3_canonical_query (const char *const *params)
{
  g_autoptr(GArray) list = g_array_new (FALSE, FALSE, sizeof (Param));
  GString *out = g_string_new (NULL);

  for (guint i = 0; params != NULL && params[i] != NULL; i += 2)
    {
      Param param;

      g_return_val_if_fail (params[i + 1] != NULL, NULL);

      param.name = osi_s3_uri_encode (params[i], FALSE);
      param.value = osi_s3_uri_encode (params[i + 1], FALSE);
      g_array_append_val (list, param);
    }
  g_array_sort (list, compare_params);
  for (guint i = 0; i < list->len; i++)
    {
      Param *param = &g_array_index (list, Param, i);

      if (i > 0)
        g_string_append_c (out, '&');
      g_string_append_printf (out, "%s=%s", param->name, param->value);
      g_free (param->name);
      g_free (param->value);
    }
  return g_string_free (out, FALSE);
}

/* --offsite-url (docs/api.md §7) */

static gboolean
is_bucket_name (const char *name)
{
  gsize length = strlen (name);

  /* S3's rules, with the capitals and underscores older Ceph buckets
   * may have; everything else would be ambiguous in a path-style URL. */
  if (length < 3 || length > 255)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

/* GUri removes "." and ".." segments as RFC 3986 says, which could move
 * the copies to another bucket or prefix than the one written: they are
 * looked for in the URL as written. */
static gboolean
has_dot_segment (const char *url)
{
  const char *path = strstr (url, "://");
  g_autofree char *raw = NULL;
  g_auto(GStrv) segments = NULL;

  if (path == NULL || (path = strchr (path + 3, '/')) == NULL)
    return FALSE;
  raw = g_strndup (path + 1, strcspn (path + 1, "?#"));
  segments = g_strsplit (raw, "/", -1);
  for (guint i = 0; segments[i] != NULL; i++)
    {
      g_autofree char *segment = g_uri_unescape_string (segments[i], NULL);

      if (segment != NULL && (strcmp (segment, ".") == 0 || strcmp (segment, "..") == 0))
        return TRUE;
    }
  return FALSE;
}

void
osi_s3_url_clear (OsiS3Url *parsed)
{
  g_clear_pointer (&parsed->endpoint, g_free);
  g_clear_pointer (&parsed->bucket, g_free);
  g_clear_pointer (&parsed->prefix, g_free);
}

static void
set_url_error (GError     **error,
               const char  *url)
{
  g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID,
               _("The off-site URL “%s” is not of the form https://HOST[:PORT]/BUCKET[/PREFIX]."), url);
}

gboolean
osi_s3_url_parse (const char  *url,
                  OsiS3Url    *parsed,
                  GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) segments = NULL;
  g_autoptr(GPtrArray) prefix = g_ptr_array_new ();
  const char *scheme, *host, *path;
  guint n;

  memset (parsed, 0, sizeof *parsed);
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, &local_error);
  if (uri == NULL)
    {
      g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID,
                   _("The off-site URL “%s” cannot be read: %s"), url, local_error->message);
      return FALSE;
    }
  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0)
    {
      g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID,
                   _("The off-site URL “%s” must begin with https:// (or http:// for a local gateway)."), url);
      return FALSE;
    }
  if (g_uri_get_userinfo (uri) != NULL)
    {
      g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID,
                   _("The off-site URL “%s” holds a user name or password: the keys go in the credentials file."), url);
      return FALSE;
    }
  host = g_uri_get_host (uri);
  if (host == NULL || host[0] == '\0' || g_uri_get_port (uri) == 0 ||
      g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    {
      set_url_error (error, url);
      return FALSE;
    }

  if (has_dot_segment (url))
    {
      g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID,
                   _("The prefix of the off-site URL “%s” has an empty, “.” or “..” part."), url);
      return FALSE;
    }
  path = g_uri_get_path (uri);
  segments = g_strsplit (path[0] == '/' ? path + 1 : path, "/", -1);
  n = g_strv_length (segments);
  /* A trailing slash says nothing more. */
  while (n > 0 && segments[n - 1][0] == '\0')
    n--;
  if (n == 0)
    {
      g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID,
                   _("The off-site URL “%s” names no bucket: write it https://HOST[:PORT]/BUCKET[/PREFIX]."), url);
      return FALSE;
    }
  if (!is_bucket_name (segments[0]))
    {
      g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID,
                   _("“%s” is not a bucket name: 3 to 255 letters, digits, dots, hyphens or underscores."),
                   segments[0]);
      return FALSE;
    }
  for (guint i = 1; i < n; i++)
    {
      if (segments[i][0] == '\0' || strcmp (segments[i], ".") == 0 || strcmp (segments[i], "..") == 0)
        {
          g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID,
                       _("The prefix of the off-site URL “%s” has an empty, “.” or “..” part."), url);
          return FALSE;
        }
      g_ptr_array_add (prefix, segments[i]);
    }
  g_ptr_array_add (prefix, NULL);

  parsed->endpoint = g_uri_join (G_URI_FLAGS_NONE, scheme, NULL,
                                 host, g_uri_get_port (uri), "", NULL, NULL);
  parsed->bucket = g_strdup (segments[0]);
  parsed->prefix = g_strjoinv ("/", (char **) prefix->pdata);
  return TRUE;
}

/* --offsite-credentials (docs/api.md §7). The file is the owner's alone,
 * like --token-file: whoever reads it can write and delete the copies.
 * Its syntax, one setting a line:
 *
 *   # a comment
 *   access_key = AKIAIOSFODNN7EXAMPLE
 *   secret_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
 *
 * blank lines and lines beginning with '#' skipped; spaces and tabs
 * around the name and the value ignored; the value is everything after
 * the first '=' (a secret may hold '='). Both names once each, no other
 * name. Nothing of the file appears in any message but its line
 * numbers: never the secret. */

gboolean
osi_s3_read_credentials (const char  *path,
                         char       **access_key,
                         char       **secret_key,
                         GError     **error)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *access = NULL;
  g_autofree char *secret = NULL;
  OsiPrivateFileProblem problem;
  gsize total;

  text = osi_private_file_read (path, MAX_CREDENTIALS_FILE, &total, &problem);
  if (text == NULL)
    {
      switch (problem.kind)
        {
        case OSI_PRIVATE_FILE_NOT_REGULAR:
          g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID,
                       _("The credentials file “%s” is not a regular file."), path);
          break;
        case OSI_PRIVATE_FILE_OPEN_TO_OTHERS:
          g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID,
                       _("The credentials file “%s” is open to other users (mode %03o): run “chmod 600 %s” first."),
                       path, problem.mode, path);
          break;
        case OSI_PRIVATE_FILE_UNREADABLE:
        default:
          g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID,
                       _("Cannot read the credentials file “%s”: %s"), path, g_strerror (problem.saved_errno));
          break;
        }
      return FALSE;
    }
  if (total > MAX_CREDENTIALS_FILE || memchr (text, '\0', total) != NULL)
    {
      g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID,
                   _("The credentials file “%s” is not a small text file."), path);
      return FALSE;
    }

  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);
      char *equal, *name = NULL, *value = NULL;
      char **slot;

      if (line[0] == '\0' || line[0] == '#')
        continue;
      equal = strchr (line, '=');
      if (equal != NULL)
        {
          *equal = '\0';
          name = g_strstrip (line);
          value = g_strstrip (equal + 1);
        }
      if (equal == NULL || value[0] == '\0' ||
          (strcmp (name, "access_key") != 0 && strcmp (name, "secret_key") != 0))
        {
          g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID,
                       _("Line %u of the credentials file “%s” is not “access_key = …” or “secret_key = …”."),
                       i + 1, path);
          return FALSE;
        }
      slot = strcmp (name, "access_key") == 0 ? &access : &secret;
      if (*slot != NULL)
        {
          g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID,
                       _("The credentials file “%s” gives %s twice."), path, name);
          return FALSE;
        }
      *slot = g_strdup (value);
    }
  if (access == NULL || secret == NULL)
    {
      g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID,
                   _("The credentials file “%s” has no %s line."), path,
                   access == NULL ? "access_key" : "secret_key");
      return FALSE;
    }
  *access_key = g_steal_pointer (&access);
  *secret_key = g_steal_pointer (&secret);
  return TRUE;
}

/* A host name or a backup name is one segment of a key. */
static gboolean
check_segment (const char  *segment,
               GError     **error)
{
  gboolean ok = segment[0] != '\0' && strcmp (segment, ".") != 0 && strcmp (segment, "..") != 0 &&
                strlen (segment) <= 255 && g_utf8_validate (segment, -1, NULL);

  for (const char *p = segment; ok && *p != '\0'; p++)
    if (*p == '/' || g_ascii_iscntrl (*p))
      ok = FALSE;
  if (!ok)
    g_set_error (error, OSI_S3_ERROR, OSI_S3_ERROR_INVALID,
                 _("“%s” cannot be part of a name on the off-site storage."), segment);
  return ok;
}

char *
osi_s3_host_prefix (OsiS3       *self,
                    const char  *host_name,
                    GError     **error)
{
  g_return_val_if_fail (host_name != NULL, NULL);

  if (!check_segment (host_name, error))
    return NULL;
  if (osi_s3_get_prefix (self)[0] == '\0')
    return g_strconcat (host_name, "/", NULL);
  return g_strconcat (osi_s3_get_prefix (self), "/", host_name, "/", NULL);
}

char *
osi_s3_backup_key (OsiS3       *self,
                   const char  *host_name,
                   const char  *backup_name,
                   GError     **error)
{
  g_autofree char *prefix = NULL;

  g_return_val_if_fail (backup_name != NULL, NULL);

  if ((prefix = osi_s3_host_prefix (self, host_name, error)) == NULL ||
      !check_segment (backup_name, error))
    return NULL;
  return g_strconcat (prefix, backup_name, NULL);
}
