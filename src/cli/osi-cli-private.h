/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "osi-cli.h"
#include "osi-client.h"

G_BEGIN_DECLS

/* What comes before the command: where the server is and how to prove who
 * we are. */
typedef struct
{
  const char *server;      /* --server, else $OSI_BACKUP_SERVER */
  const char *token_file;  /* --token-file; else $OSI_BACKUP_TOKEN holds the token */
  const char *server_time_zone; /* --server-time-zone, else $OSI_BACKUP_SERVER_TIME_ZONE */
} OsiCliGlobals;

typedef int (*OsiCliCommand) (const OsiCliGlobals *globals,
                              int                  argc,
                              char               **argv);

int      osi_cli_usage_error   (const char          *message);
gboolean osi_cli_parse_options (int                 *argc,
                                char              ***argv,
                                const char          *summary,
                                const char          *description,
                                const GOptionEntry  *entries,
                                int                 *status);
void     osi_cli_print_json    (JsonNode            *node);

/* The network commands' common steps (osi-cli-network.c): a client from
 * the global options (NULL with *status after a usage error), a callback
 * that stores the result of a call in the GAsyncResult * its data points
 * to, the wait for it, and the exit status of a failure, said on stderr. */
OsiClient    *osi_cli_open_client  (const OsiCliGlobals *globals,
                                    int                 *status);
void          osi_cli_store_result (GObject             *source,
                                    GAsyncResult        *result,
                                    gpointer             user_data);
GAsyncResult *osi_cli_wait         (GAsyncResult       **result);
int           osi_cli_fail         (const GError        *error);

/* list, create, download, restore, delete and upload: argv[0] says which. */
int      osi_cli_cmd_network   (const OsiCliGlobals *globals,
                                int                  argc,
                                char               **argv);

/* docs/api.md §6: policy [set], protect, unprotect and note
 * (osi-cli-policy.c), argv[0] says which; prune (osi-cli-prune.c). */
int      osi_cli_cmd_policy    (const OsiCliGlobals *globals,
                                int                  argc,
                                char               **argv);

int      osi_cli_cmd_prune     (const OsiCliGlobals *globals,
                                int                  argc,
                                char               **argv);

/* docs/api.md §7: offsite list, offsite fetch (osi-cli-offsite.c). */
int      osi_cli_cmd_offsite   (const OsiCliGlobals *globals,
                                int                  argc,
                                char               **argv);

G_END_DECLS
