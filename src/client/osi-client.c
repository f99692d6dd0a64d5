/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-client"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "osi-client-private.h"
#include "osi-wipe.h"

G_DEFINE_QUARK (osi-client-error-quark, osi_client_error)

/* ------------------------------------------------------------------------ */
/* A certificate database that trusts a CA file in addition to the
 * system's, or the system's alone (own NULL: see system_authorities ()). */

#define OSI_TYPE_CLIENT_CA_DATABASE (osi_client_ca_database_get_type ())

G_DECLARE_FINAL_TYPE (OsiClientCaDatabase, osi_client_ca_database, OSI, CLIENT_CA_DATABASE, GTlsDatabase)

struct _OsiClientCaDatabase
{
  GTlsDatabase  parent_instance;
  GTlsDatabase *own;      /* NULL: the system's alone */
  GTlsDatabase *system;   /* may be NULL */
};

G_DEFINE_FINAL_TYPE (OsiClientCaDatabase, osi_client_ca_database, G_TYPE_TLS_DATABASE)

static GTlsCertificateFlags
osi_client_ca_database_verify_chain (GTlsDatabase             *database,
                                     GTlsCertificate          *chain,
                                     const char               *purpose,
                                     GSocketConnectable       *identity,
                                     GTlsInteraction          *interaction,
                                     GTlsDatabaseVerifyFlags   flags,
                                     GCancellable             *cancellable,
                                     GError                  **error)
{
  OsiClientCaDatabase *self = OSI_CLIENT_CA_DATABASE (database);
  GTlsCertificateFlags own;

  if (self->own == NULL)
    return g_tls_database_verify_chain (self->system, chain, purpose, identity, interaction, flags,
                                        cancellable, error);
  own = g_tls_database_verify_chain (self->own, chain, purpose, identity, interaction, flags,
                                     cancellable, error);
  /* Anchored in the CA file: its verdict (expiry, host name) stands. */
  if (own == 0 || (own & G_TLS_CERTIFICATE_UNKNOWN_CA) == 0 || self->system == NULL)
    return own;
  if (error != NULL && *error != NULL)
    return own;
  return g_tls_database_verify_chain (self->system, chain, purpose, identity, interaction, flags,
                                      cancellable, error);
}

static GTlsCertificate *
osi_client_ca_database_lookup_certificate_issuer (GTlsDatabase             *database,
                                                  GTlsCertificate          *certificate,
                                                  GTlsInteraction          *interaction,
                                                  GTlsDatabaseLookupFlags   flags,
                                                  GCancellable             *cancellable,
                                                  GError                  **error)
{
  OsiClientCaDatabase *self = OSI_CLIENT_CA_DATABASE (database);
  GTlsCertificate *issuer = NULL;

  if (self->own != NULL)
    issuer = g_tls_database_lookup_certificate_issuer (self->own, certificate, interaction, flags,
                                                       cancellable, error);
  if (issuer != NULL || self->system == NULL || (error != NULL && *error != NULL))
    return issuer;
  return g_tls_database_lookup_certificate_issuer (self->system, certificate, interaction, flags,
                                                   cancellable, error);
}

static GList *
osi_client_ca_database_lookup_certificates_issued_by (GTlsDatabase             *database,
                                                      GByteArray               *issuer_raw_dn,
                                                      GTlsInteraction          *interaction,
                                                      GTlsDatabaseLookupFlags   flags,
                                                      GCancellable             *cancellable,
                                                      GError                  **error)
{
  OsiClientCaDatabase *self = OSI_CLIENT_CA_DATABASE (database);
  GList *list = NULL;

  if (self->own != NULL)
    list = g_tls_database_lookup_certificates_issued_by (self->own, issuer_raw_dn, interaction, flags,
                                                         cancellable, error);
  if (self->system == NULL || (error != NULL && *error != NULL))
    return list;
  return g_list_concat (list, g_tls_database_lookup_certificates_issued_by (self->system, issuer_raw_dn,
                                                                             interaction, flags,
                                                                             cancellable, error));
}

static char *
osi_client_ca_database_create_certificate_handle (GTlsDatabase    *database,
                                                  GTlsCertificate *certificate)
{
  OsiClientCaDatabase *self = OSI_CLIENT_CA_DATABASE (database);

  return g_tls_database_create_certificate_handle (self->own != NULL ? self->own : self->system, certificate);
}

static GTlsCertificate *
osi_client_ca_database_lookup_certificate_for_handle (GTlsDatabase             *database,
                                                      const char               *handle,
                                                      GTlsInteraction          *interaction,
                                                      GTlsDatabaseLookupFlags   flags,
                                                      GCancellable             *cancellable,
                                                      GError                  **error)
{
  OsiClientCaDatabase *self = OSI_CLIENT_CA_DATABASE (database);

  return g_tls_database_lookup_certificate_for_handle (self->own != NULL ? self->own : self->system, handle,
                                                       interaction, flags, cancellable, error);
}

static void
osi_client_ca_database_finalize (GObject *object)
{
  OsiClientCaDatabase *self = OSI_CLIENT_CA_DATABASE (object);

  g_clear_object (&self->own);
  g_clear_object (&self->system);

  G_OBJECT_CLASS (osi_client_ca_database_parent_class)->finalize (object);
}

static void
osi_client_ca_database_class_init (OsiClientCaDatabaseClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GTlsDatabaseClass *database_class = G_TLS_DATABASE_CLASS (klass);

  object_class->finalize = osi_client_ca_database_finalize;
  database_class->verify_chain = osi_client_ca_database_verify_chain;
  database_class->lookup_certificate_issuer = osi_client_ca_database_lookup_certificate_issuer;
  database_class->lookup_certificates_issued_by = osi_client_ca_database_lookup_certificates_issued_by;
  database_class->create_certificate_handle = osi_client_ca_database_create_certificate_handle;
  database_class->lookup_certificate_for_handle = osi_client_ca_database_lookup_certificate_for_handle;
}

static void
osi_client_ca_database_init (OsiClientCaDatabase *self)
{
}

/* ------------------------------------------------------------------------ */
/* The client                                                               */

G_DEFINE_FINAL_TYPE (OsiClient, osi_client, G_TYPE_OBJECT)

/* ------------------------------------------------------------------------ */
/* GObject                                                                  */

static gboolean
token_is_valid (const char *token)
{
  for (const char *p = token; *p != '\0'; p++)
    if ((guchar)*p <= 0x20 || (guchar)*p >= 0x7f)
      return FALSE;
  return token[0] != '\0';
}

static void
osi_client_dispose (GObject *object)
{
  OsiClient *self = OSI_CLIENT (object);

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (osi_client_parent_class)->dispose (object);
}

static void
osi_client_finalize (GObject *object)
{
  OsiClient *self = OSI_CLIENT (object);

  g_clear_pointer (&self->last_list, g_ptr_array_unref);
  g_clear_pointer (&self->server_tz, g_time_zone_unref);
  g_strfreev (self->features);
  g_free (self->given_url);
  g_free (self->base_url);
  osi_wipe_free (self->token);

  G_OBJECT_CLASS (osi_client_parent_class)->finalize (object);
}

static void
osi_client_class_init (OsiClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = osi_client_dispose;
  object_class->finalize = osi_client_finalize;
}

static void
osi_client_init (OsiClient *self)
{
  self->idle_timeout_s = IDLE_TIMEOUT_S;
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */

/* An OsiClient is used from the thread, and main context, it was created
 * in (as its SoupSession); callbacks and progress run there. */
OsiClient *
osi_client_new (const char *base_url,
                const char *token)
{
  OsiClient *self;
  g_autoptr(GUri) uri = NULL;

  g_return_val_if_fail (base_url != NULL, NULL);

  self = g_object_new (OSI_TYPE_CLIENT, NULL);
  self->given_url = g_strdup (base_url);
  self->token = g_strdup (token);

  /* Not normalised by GUri, which would add the default port. */
  uri = g_uri_parse (self->given_url, SOUP_HTTP_URI_FLAGS & ~G_URI_FLAGS_SCHEME_NORMALIZE, NULL);
  if (uri != NULL &&
      (g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") == 0 ||
       g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0) &&
      g_uri_get_host (uri) != NULL && g_uri_get_host (uri)[0] != '\0' &&
      g_uri_get_query (uri) == NULL && g_uri_get_fragment (uri) == NULL)
    {
      g_autofree char *path = g_strdup (g_uri_get_path (uri));
      g_autofree char *scheme = g_ascii_strdown (g_uri_get_scheme (uri), -1);
      gsize len = strlen (path);

      while (len > 0 && path[len - 1] == '/')
        path[--len] = '\0';
      /* Without user information: the API authenticates by token, and a
       * password must not appear in messages. */
      self->base_url = g_uri_join (G_URI_FLAGS_ENCODED, scheme,
                                   NULL, g_uri_get_host (uri), g_uri_get_port (uri), path, NULL, NULL);
      self->url_valid = TRUE;
    }
  else
    self->base_url = _osi_client_printable (self->given_url, -1, 200);

  if (self->token != NULL)
    {
      g_strstrip (self->token);
      if (self->token[0] == '\0')
        g_clear_pointer (&self->token, g_free);
      else
        self->token_valid = token_is_valid (self->token);
    }

  self->session = soup_session_new_with_options ("timeout", 0,
                                                 "idle-timeout", POOL_IDLE_TIMEOUT_S,
                                                 "max-conns-per-host", MAX_CONNS_PER_HOST,
                                                 "user-agent", "osi-backup/" VERSION,
                                                 NULL);
  return self;
}

void
osi_client_set_idle_timeout (OsiClient *self,
                             guint      seconds)
{
  g_return_if_fail (OSI_IS_CLIENT (self));
  g_return_if_fail (seconds > 0);

  self->idle_timeout_s = seconds;
}

gboolean
osi_client_set_server_time_zone (OsiClient   *self,
                                 const char  *identifier,
                                 GError     **error)
{
  g_autoptr(GTimeZone) tz = NULL;

  g_return_val_if_fail (OSI_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (identifier != NULL && identifier[0] != '\0')
    {
      tz = osi_time_zone_new (identifier, error);
      if (tz == NULL)
        return FALSE;
    }
  osi_client_set_server_tz (self, tz);
  return TRUE;
}

void
osi_client_set_server_tz (OsiClient *self,
                          GTimeZone *tz)
{
  g_return_if_fail (OSI_IS_CLIENT (self));

  if (tz != NULL)
    g_time_zone_ref (tz);
  g_clear_pointer (&self->server_tz, g_time_zone_unref);
  self->server_tz = tz;
  self->tz_generation++;
  /* The backups of the last list were dated in the old zone. */
  g_clear_pointer (&self->last_list, g_ptr_array_unref);
}

GTimeZone *
osi_client_get_server_tz (OsiClient *self)
{
  g_return_val_if_fail (OSI_IS_CLIENT (self), NULL);

  return self->server_tz;
}

const char *
osi_client_get_base_url (OsiClient *self)
{
  g_return_val_if_fail (OSI_IS_CLIENT (self), NULL);

  return self->base_url;
}

/* The system's authorities (a new reference, NULL where the system has
 * none), read on the calling thread the first time. They become the
 * process's default database too: glib-networking makes each TLS
 * connection over the default database before libsoup hands it the
 * session's, and re-reads the system bundle for a connection made over
 * its own (g_tls_database_gnutls_get_credentials () in 2.74), on the
 * thread that opens it, the UI thread for an async request. Over a
 * database of another type, a connection verifies the peer through it,
 * in the handshake's thread, from the certificates read once. */
static GTlsDatabase *
system_authorities (void)
{
  static GMutex lock;
  static GTlsDatabase *shared;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&lock);
  GTlsBackend *backend;
  GTlsDatabase *system;
  OsiClientCaDatabase *database;

  if (shared != NULL)
    return g_object_ref (shared);
  backend = g_tls_backend_get_default ();
  if ((system = g_tls_backend_get_default_database (backend)) == NULL)
    return NULL;
  database = g_object_new (OSI_TYPE_CLIENT_CA_DATABASE, NULL);
  database->system = system;
  shared = G_TLS_DATABASE (database);
  g_tls_backend_set_default_database (backend, shared);
  return g_object_ref (shared);
}

/* The system's authorities, and ca_file's when not NULL. Reads ca_file
 * (and, the first time, the system's authorities) on the calling thread.
 * NULL without an error where there is nothing to trust. */
static GTlsDatabase *
new_ca_database (const char  *ca_file,
                 GError     **error)
{
  g_autoptr(GTlsDatabase) own = NULL;
  g_autoptr(GTlsDatabase) system = system_authorities ();
  g_autoptr(GError) local = NULL;
  OsiClientCaDatabase *database;

  if (ca_file == NULL)
    return g_steal_pointer (&system);
  if ((own = g_tls_file_database_new (ca_file, &local)) == NULL)
    {
      g_autofree char *sentence = g_strdup_printf (_("Cannot use the certificate authority file %s: choose a "
                                                     "PEM file holding the certificate of the authority that "
                                                     "signed the server's certificate."),
                                                   ca_file);

      g_propagate_error (error, _osi_client_with_detail (OSI_CLIENT_ERROR_TLS, sentence, local->message, FALSE));
      return NULL;
    }

  database = g_object_new (OSI_TYPE_CLIENT_CA_DATABASE, NULL);
  database->own = g_steal_pointer (&own);
  if (system != NULL)
    database->system = g_object_ref (OSI_CLIENT_CA_DATABASE (system)->system);
  return G_TLS_DATABASE (database);
}

/* ca_file NULL goes back to the system's certificate authorities only. */
gboolean
osi_client_set_ca_file (OsiClient   *self,
                        const char  *ca_file,
                        GError     **error)
{
  g_autoptr(GTlsDatabase) database = NULL;
  GError *local = NULL;

  g_return_val_if_fail (OSI_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((database = new_ca_database (ca_file, &local)) == NULL && local != NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  osi_client_set_tls_database (self, database);
  return TRUE;
}

/* Connections already open keep the database they were made with. */
void
osi_client_set_tls_database (OsiClient    *self,
                             GTlsDatabase *database)
{
  g_autoptr(GTlsDatabase) system = NULL;

  g_return_if_fail (OSI_IS_CLIENT (self));
  g_return_if_fail (database == NULL || G_IS_TLS_DATABASE (database));

  if (database == NULL)
    database = system = new_ca_database (NULL, NULL);
  soup_session_set_tls_database (self->session, database);
}

/* The files of a client, read in a worker -------------------------------- */

typedef struct
{
  char         *ca_file;
  char         *identifier;
  GTlsDatabase *database;
  GTimeZone    *tz;
} LoadFiles;

static void
load_files_free (LoadFiles *load)
{
  g_free (load->ca_file);
  g_free (load->identifier);
  g_clear_object (&load->database);
  g_clear_pointer (&load->tz, g_time_zone_unref);
  g_free (load);
}

static void
load_files_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  LoadFiles *load = task_data;
  GError *error = NULL;

  if ((load->database = new_ca_database (load->ca_file, &error)) == NULL && error != NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (load->identifier != NULL && (load->tz = osi_time_zone_new (load->identifier, &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
osi_client_load_files_async (const char          *ca_file,
                             const char          *identifier,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  LoadFiles *load;

  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, osi_client_load_files_async);
  load = g_new0 (LoadFiles, 1);
  load->ca_file = g_strdup (ca_file);
  if (identifier != NULL && identifier[0] != '\0')
    load->identifier = g_strdup (identifier);
  g_task_set_task_data (task, load, (GDestroyNotify)load_files_free);
  g_task_run_in_thread (task, load_files_thread);
}

gboolean
osi_client_load_files_finish (GAsyncResult  *result,
                              GTlsDatabase **database,
                              GTimeZone    **tz,
                              GError       **error)
{
  LoadFiles *load;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == osi_client_load_files_async, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  load = g_task_get_task_data (G_TASK (result));
  if (database != NULL)
    *database = g_steal_pointer (&load->database);
  if (tz != NULL)
    *tz = g_steal_pointer (&load->tz);
  return TRUE;
}

/* A client whose files are read in a worker: what it is made of is kept
 * meanwhile, the token wiped from memory once done with. */
typedef struct
{
  char *base_url;
  char *token;
} NewClient;

static void
new_client_free (NewClient *data)
{
  g_free (data->base_url);
  osi_wipe_free (data->token);
  g_free (data);
}

/* Back on the caller's thread, which the client's session belongs to. */
static void
on_new_client_files_loaded (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NewClient *data = g_task_get_task_data (task);
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GTimeZone) tz = NULL;
  OsiClient *client;
  GError *error = NULL;

  if (!osi_client_load_files_finish (result, &database, &tz, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  client = osi_client_new (data->base_url, data->token);
  if (database != NULL)
    osi_client_set_tls_database (client, database);
  osi_client_set_server_tz (client, tz);
  g_task_return_pointer (task, client, g_object_unref);
}

void
osi_client_new_async (const char          *base_url,
                      const char          *token,
                      const char          *ca_file,
                      const char          *time_zone,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  NewClient *data;

  g_return_if_fail (base_url != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, osi_client_new_async);
  data = g_new0 (NewClient, 1);
  data->base_url = g_strdup (base_url);
  data->token = g_strdup (token);
  g_task_set_task_data (task, data, (GDestroyNotify)new_client_free);
  osi_client_load_files_async (ca_file, time_zone, cancellable, on_new_client_files_loaded,
                               g_steal_pointer (&task));
}

OsiClient *
osi_client_new_finish (GAsyncResult  *result,
                       GError       **error)
{
  return _osi_client_propagate_pointer (NULL, result, osi_client_new_async, error);
}

/* create ----------------------------------------------------------------- */

/* The answer's "message", shown to the user: printable and bounded. */
char *
_osi_client_server_message (JsonObject *object)
{
  const char *message = object != NULL ? _osi_client_member_string (object, "message") : NULL;

  return message != NULL && message[0] != '\0' ? _osi_client_printable (message, -1, MAX_DETAIL_CHARS) : NULL;
}

/* What a 2xx to a create, restore or fetch says: its "message", and the
 * backup its "backup" names, when our server gives it (docs/api.md §5.3,
 * §7.4). *answer (may be NULL): the answer's object, for the rest, or
 * NULL when the answer is none. */
Outcome *
_osi_client_outcome_new (GTask       *task,
                         JsonObject **answer)
{
  OsiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(JsonNode) root = _osi_client_body_json (call);
  JsonObject *object = root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  JsonNode *backup = object != NULL ? json_object_get_member (object, "backup") : NULL;
  Outcome *outcome = g_new0 (Outcome, 1);

  outcome->message = _osi_client_server_message (object);
  if (backup != NULL && JSON_NODE_HOLDS_OBJECT (backup))
    outcome->backup = osi_backup_info_new_from_json (json_node_get_object (backup), self->server_tz, NULL);
  if (answer != NULL)
    *answer = object != NULL ? json_object_ref (object) : NULL;
  return outcome;
}

/* The body of a request about the backup call->name: {"backupFile": name}
 * (docs/api.md §5.3, §7.4). NULL, the task returned its error, when the
 * name is not a backup's: nothing is sent then. */
JsonNode *
_osi_client_backup_file_body (GTask *task)
{
  Call *call = g_task_get_task_data (task);
  g_autoptr(JsonBuilder) builder = NULL;

  if (!osi_backup_name_is_valid (call->name))
    {
      g_task_return_error (task, _osi_client_invalid_name_error (call->name));
      return NULL;
    }
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "backupFile");
  json_builder_add_string_value (builder, call->name);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

void
_osi_client_created_listed (GTask      *task,
                            GPtrArray  *backups,
                            GError    **error)
{
  Call *call = g_task_get_task_data (task);
  OsiBackupInfo *newest = NULL;

  /* The backup was made: a list that fails now only leaves it unnamed. */
  if (backups == NULL)
    g_debug ("made, but not found again: %s", (*error)->message);
  /* The name it gave, else the newest of the names new since before. */
  for (guint i = 0; backups != NULL && call->name != NULL && i < backups->len; i++)
    if (osi_backup_info_can_be_named (backups->pdata[i]) &&
        g_str_equal (osi_backup_info_get_name (backups->pdata[i]), call->name))
      call->outcome->backup = g_object_ref (backups->pdata[i]);
  for (guint i = 0; backups != NULL && call->outcome->backup == NULL && call->before != NULL && i < backups->len; i++)
    {
      OsiBackupInfo *info = backups->pdata[i];

      if (!osi_backup_info_can_be_named (info) || g_hash_table_contains (call->before, osi_backup_info_get_name (info)))
        continue;
      if (newest == NULL || (osi_backup_info_get_date_known (info) &&
                             (!osi_backup_info_get_date_known (newest) ||
                              g_date_time_compare (osi_backup_info_get_date (info), osi_backup_info_get_date (newest)) > 0)))
        newest = info;
    }
  if (call->outcome->backup == NULL && newest != NULL)
    call->outcome->backup = g_object_ref (newest);
  /* The answer was lost (docs/api.md §5.3): made only if the list says so. */
  if (call->unsure != NULL && call->outcome->backup == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&call->unsure));
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&call->outcome), (GDestroyNotify)_osi_client_outcome_free);
}

/* docs/api.md §5.3: success is the 2xx. Our server names the backup it made
 * ("backup"); the deployed OSI backend may give its "filename", or
 * nothing, and the backup is then found by listing again. */
static void
parse_create (GTask    *task,
              JsonNode *unused)
{
  Call *call = g_task_get_task_data (task);
  g_autoptr(JsonObject) object = NULL;
  const char *filename;

  call->outcome = _osi_client_outcome_new (task, &object);
  filename = object != NULL ? _osi_client_member_string (object, "filename") : NULL;
  if (call->outcome->backup != NULL || (filename == NULL && call->before == NULL))
    {
      g_task_return_pointer (task, g_steal_pointer (&call->outcome), (GDestroyNotify)_osi_client_outcome_free);
      return;
    }
  g_free (call->name);
  call->name = filename != NULL && osi_backup_name_is_valid (filename) ? g_strdup (filename) : NULL;
  if (call->name == NULL && call->before == NULL)
    {
      g_task_return_pointer (task, g_steal_pointer (&call->outcome), (GDestroyNotify)_osi_client_outcome_free);
      return;
    }
  _osi_client_call_list (task, NULL, _osi_client_created_listed);
}

static void
create_post (GTask *task)
{
  _osi_client_json_call (task, parse_create, SOUP_METHOD_POST, "/api/rag/backup", FALSE);
}

static void
listed_before_create (GTask      *task,
                      GPtrArray  *backups,
                      GError    **error)
{
  Call *call = g_task_get_task_data (task);

  if (backups == NULL)
    {
      g_task_return_error (task, g_steal_pointer (error));
      return;
    }
  call->before = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < backups->len; i++)
    g_hash_table_add (call->before, g_strdup (osi_backup_info_get_name (backups->pdata[i])));
  create_post (task);
}

/* A server that may not say which backup it made is listed first, so
 * that the new name can be told from the others. */
static void
create_start (GTask *task)
{
  OsiClient *self = g_task_get_source_object (task);

  if (self->full_api)
    create_post (task);
  else
    _osi_client_call_list (task, g_task_get_cancellable (task), listed_before_create);
}

void
osi_client_create_async (OsiClient           *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (OSI_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = _osi_client_call_task_new (self, OP_CREATE, NULL, cancellable, callback, user_data, osi_client_create_async);
  _osi_client_call_with_features (task, create_start);
}

/* Hands the outcome's parts to those who asked for them. */
gboolean
_osi_client_propagate_outcome (GAsyncResult   *result,
                               OsiBackupInfo **backup,
                               char          **safety_backup,
                               char          **message,
                               GError        **error)
{
  Outcome *outcome = g_task_propagate_pointer (G_TASK (result), error);

  if (outcome == NULL)
    return FALSE;
  if (backup != NULL)
    *backup = g_steal_pointer (&outcome->backup);
  if (safety_backup != NULL)
    *safety_backup = g_steal_pointer (&outcome->safety_backup);
  if (message != NULL)
    *message = g_steal_pointer (&outcome->message);
  _osi_client_outcome_free (outcome);
  return TRUE;
}

gboolean
osi_client_create_finish (OsiClient      *self,
                          GAsyncResult   *result,
                          OsiBackupInfo **backup,
                          char          **message,
                          GError        **error)
{
  g_return_val_if_fail (_osi_client_check_result (self, result, osi_client_create_async), FALSE);

  return _osi_client_propagate_outcome (result, backup, NULL, message, error);
}

/* restore ---------------------------------------------------------------- */

/* docs/api.md §5.3: success is the 2xx; the safety backup is named only by our
 * server (the deployed backend keeps its own). */
static void
parse_restore (GTask    *task,
               JsonNode *unused)
{
  g_autoptr(JsonObject) object = NULL;
  Outcome *outcome = _osi_client_outcome_new (task, &object);
  const char *safety = object != NULL ? _osi_client_member_string (object, "safety_backup") : NULL;

  if (safety != NULL && osi_backup_name_is_valid (safety))
    outcome->safety_backup = g_strdup (safety);
  g_task_return_pointer (task, outcome, (GDestroyNotify)_osi_client_outcome_free);
}

void
osi_client_restore_async (OsiClient           *self,
                          const char          *name,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonNode) body = NULL;

  g_return_if_fail (OSI_IS_CLIENT (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = _osi_client_call_task_new (self, OP_RESTORE, name, cancellable, callback, user_data, osi_client_restore_async);
  body = _osi_client_backup_file_body (task);
  if (body != NULL)
    _osi_client_json_call_with_body (task, parse_restore, SOUP_METHOD_POST, "/api/rag/backup/restore", FALSE, body);
}

gboolean
osi_client_restore_finish (OsiClient     *self,
                           GAsyncResult  *result,
                           char         **safety_backup,
                           char         **message,
                           GError       **error)
{
  g_return_val_if_fail (_osi_client_check_result (self, result, osi_client_restore_async), FALSE);

  return _osi_client_propagate_outcome (result, NULL, safety_backup, message, error);
}

/* delete, verify and diff: a request about a backup, answered in JSON --- */

static void
parse_delete (GTask    *task,
              JsonNode *root)
{
  g_task_return_boolean (task, TRUE);
}

static void
parse_verify (GTask    *task,
              JsonNode *root)
{
  if (_osi_client_root_object (task, root) == NULL)
    return;
  g_task_return_pointer (task, json_node_copy (root), (GDestroyNotify)json_node_unref);
}

/* diff ------------------------------------------------------------------- */

static void
parse_diff (GTask    *task,
            JsonNode *root)
{
  GError *error = NULL;
  OsiDiff *diff;

  if (_osi_client_root_object (task, root) == NULL)
    return;
  diff = osi_diff_new_from_json (root, &error);
  if (diff == NULL)
    {
      GError *protocol = _osi_client_protocol_error (g_task_get_source_object (task), error->message);

      g_error_free (error);
      g_task_return_error (task, protocol);
      return;
    }
  g_task_return_pointer (task, diff, g_object_unref);
}

/* By operation, each with the feature the server must offer first, if
 * any. */
static const struct
{
  const char *feature;
  const char *method;
  const char *path;
  ParseFunc   parse;
} named_calls[] = {
  [OP_DELETE] = { NULL, "DELETE", "/api/rag/backup", parse_delete },
  [OP_VERIFY] = { "verify", "GET", "/api/rag/backup/verify", parse_verify },
  [OP_DIFF] = { "diff", "GET", "/api/rag/backup/diff", parse_diff },
};

static void
named_call_start (GTask *task)
{
  Call *call = g_task_get_task_data (task);
  const char *feature = named_calls[call->op].feature;

  if (feature == NULL || _osi_client_call_check_feature (task, feature))
    _osi_client_json_call (task, named_calls[call->op].parse, named_calls[call->op].method,
                           named_calls[call->op].path, TRUE);
}

static void
named_call_async (OsiClient           *self,
                  Op                   op,
                  const char          *name,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data,
                  gpointer             source_tag)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (OSI_IS_CLIENT (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = _osi_client_call_task_new (self, op, name, cancellable, callback, user_data, source_tag);
  if (named_calls[op].feature == NULL)
    named_call_start (task);
  else
    _osi_client_call_with_features (task, named_call_start);
}

void
osi_client_delete_async (OsiClient           *self,
                         const char          *name,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  named_call_async (self, OP_DELETE, name, cancellable, callback, user_data, osi_client_delete_async);
}

gboolean
osi_client_delete_finish (OsiClient     *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (_osi_client_check_result (self, result, osi_client_delete_async), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
osi_client_verify_async (OsiClient           *self,
                         const char          *name,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  named_call_async (self, OP_VERIFY, name, cancellable, callback, user_data, osi_client_verify_async);
}

JsonNode *
osi_client_verify_finish (OsiClient     *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  return _osi_client_propagate_pointer (self, result, osi_client_verify_async, error);
}

void
osi_client_diff_async (OsiClient           *self,
                       const char          *name,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  named_call_async (self, OP_DIFF, name, cancellable, callback, user_data, osi_client_diff_async);
}

OsiDiff *
osi_client_diff_finish (OsiClient     *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  return _osi_client_propagate_pointer (self, result, osi_client_diff_async, error);
}
