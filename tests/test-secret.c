/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <libsecret/secret.h>

#include <glib/gstdio.h>

#include "osi-secret.h"
#include "osi-test-support.h"

/* The tokens' real home: the Secret Service keyring, here a real
 * gnome-keyring-daemon in the D-Bus session .ci/run starts. Every other
 * test of the app turns the keyring off ($OSI_BACKUP_NO_KEYRING), so this
 * one is the only proof that a token goes to the keyring, comes back from
 * it, leaves no copy in the fallback file, and is cleared from it.
 * Without a keyring it skips, except under CI (CI=true), where it fails
 * (osi_test_missing): there, a missing keyring is a broken setup. */

#define PROFILE "5f0c2a4e-9d1b-4c3a-8e7f-2b6d4a1c9e00"
#define TOKEN   "tok-3f9a1c7e5b2d4f6a8c0e"

/* The schema the app stores under (src/app/osi-secret.c), asked here
 * through libsecret itself, not through the code under test. */
static const SecretSchema schema = {
  "org.osi.Backup.Token", SECRET_SCHEMA_NONE,
  {
    { "profile", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  }
};

/* Runs the main context until *slot is set, or until seconds passed. */
static GAsyncResult *
wait_bounded (GAsyncResult **slot,
              GCancellable  *cancellable,
              guint          seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (*slot == NULL)
    {
      if (g_get_monotonic_time () > deadline)
        g_cancellable_cancel (cancellable);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return *slot;
}

/* Whether an unlocked default collection answers, within a few seconds:
 * a session whose keyring would prompt to be created or unlocked (a
 * desktop's, D-Bus activated) is no place for this test. */
static gboolean
keyring_ready (char **why)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) got_service = NULL;
  g_autoptr(GAsyncResult) got_collection = NULL;
  g_autoptr(SecretService) service = NULL;
  g_autoptr(SecretCollection) collection = NULL;
  g_autoptr(GError) error = NULL;

  secret_service_get (SECRET_SERVICE_NONE, cancellable, osi_test_store_result, &got_service);
  service = secret_service_get_finish (wait_bounded (&got_service, cancellable, 5), &error);
  if (service != NULL)
    {
      secret_collection_for_alias (service, SECRET_COLLECTION_DEFAULT, SECRET_COLLECTION_NONE, cancellable,
                                   osi_test_store_result, &got_collection);
      collection = secret_collection_for_alias_finish (wait_bounded (&got_collection, cancellable, 5), &error);
    }
  if (error != NULL)
    *why = g_strdup (error->message);
  else if (collection == NULL)
    *why = g_strdup ("no default collection");
  else if (secret_collection_get_locked (collection))
    *why = g_strdup ("the default collection is locked");
  return *why == NULL;
}

static void
test_keyring_round_trip (void)
{
  g_autofree char *config = osi_test_make_tmpdir ();
  g_autofree char *fallback = g_build_filename (config, "osi-backup", "tokens", PROFILE, NULL);
  g_autoptr(GAsyncResult) stored = NULL;
  g_autoptr(GAsyncResult) looked_up = NULL;
  g_autoptr(GAsyncResult) cleared = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *in_keyring = NULL;
  g_autofree char *token = NULL;
  g_autofree char *why = NULL;
  OsiSecretBackend backend = OSI_SECRET_BACKEND_FILE;

  g_setenv ("XDG_CONFIG_HOME", config, TRUE);

  if (!keyring_ready (&why))
    {
      g_autofree char *what = g_strdup_printf ("no unlocked Secret Service keyring (%s)", why);

      osi_test_missing (what);
      osi_test_remove_tmpdir (config);
      return;
    }

  osi_secret_store_async (PROFILE, "OSI Backup test", TOKEN, NULL, osi_test_store_result, &stored);
  g_assert_true (osi_secret_store_finish (osi_test_wait_result (&stored, "the token stored"), &backend, &error));
  g_assert_no_error (error);
  if (backend != OSI_SECRET_BACKEND_KEYRING)
    {
      osi_test_missing ("no Secret Service keyring: the token went to the fallback file");
      osi_test_remove_tmpdir (config);
      return;
    }

  /* In the keyring, as libsecret itself finds it; not in the file. */
  in_keyring = secret_password_lookup_sync (&schema, NULL, &error, "profile", PROFILE, NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (in_keyring, ==, TOKEN);
  g_assert_false (g_file_test (fallback, G_FILE_TEST_EXISTS));

  osi_secret_lookup_async (PROFILE, NULL, osi_test_store_result, &looked_up);
  token = osi_secret_lookup_finish (osi_test_wait_result (&looked_up, "the token looked up"), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, TOKEN);

  osi_secret_clear_async (PROFILE, NULL, osi_test_store_result, &cleared);
  g_assert_true (osi_secret_clear_finish (osi_test_wait_result (&cleared, "the token cleared"), &error));
  g_assert_no_error (error);
  g_clear_pointer (&in_keyring, secret_password_free);
  in_keyring = secret_password_lookup_sync (&schema, NULL, &error, "profile", PROFILE, NULL);
  g_assert_no_error (error);
  g_assert_null (in_keyring);

  osi_test_remove_tmpdir (config);
}

int
main (int   argc,
      char *argv[])
{
  /* The one test that wants the keyring the others turn off. */
  g_unsetenv ("OSI_BACKUP_NO_KEYRING");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/secret/keyring-round-trip", test_keyring_round_trip);

  return g_test_run ();
}
