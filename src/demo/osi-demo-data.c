/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "osi-archive.h"
#include "osi-demo-data.h"
#include "osi-swap.h"

/* Big files go out in chunks of this size, so memory stays flat whatever
 * size_bytes is, and cancellation is noticed between chunks. */
#define CHUNK_SIZE (1024 * 1024)

/* Even a tiny request gets a knowledge base worth looking at. */
#define MIN_RAG_ENTRIES 5

/* Each file draws from its own stream, so changing one generator never
 * changes the bytes of another file for the same seed. */
enum
{
  STREAM_RAG = 1,
  STREAM_EMBEDDINGS,
  STREAM_SYSTEM,
  STREAM_USERS,
  STREAM_REGLEMENT,
  STREAM_FAQ,
  STREAM_GUIDE,
  STREAM_BACKUP_DATES,
  STREAM_BACKUP_CONTENTS,
};

/* ------------------------------------------------------------------------ */
/* xoshiro256** seeded by splitmix64: fast, and portable bit for bit, which
 * GRand does not promise across GLib versions. */

typedef struct
{
  guint64 s[4];
} DemoRng;

static guint64
splitmix64 (guint64 *x)
{
  guint64 z = (*x += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static void
rng_init (DemoRng *rng,
          guint32  seed,
          guint32  stream)
{
  guint64 x = ((guint64) seed << 32) | stream;

  for (guint i = 0; i < G_N_ELEMENTS (rng->s); i++)
    rng->s[i] = splitmix64 (&x);
}

static inline guint64
rotl64 (guint64 x,
        int     k)
{
  return (x << k) | (x >> (64 - k));
}

static inline guint64
rng_next (DemoRng *rng)
{
  guint64 *s = rng->s;
  guint64 result = rotl64 (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl64 (s[3], 45);
  return result;
}

/* Multiply-shift rather than modulo: no division in the hot loop, and the
 * bias is far below anything a reader of the text could notice. */
static inline guint32
rng_below (DemoRng *rng,
           guint32  n)
{
  return (guint32) (((rng_next (rng) >> 32) * n) >> 32);
}

static inline guint32
rng_range (DemoRng *rng,
           guint32  lo,
           guint32  hi)
{
  return lo + rng_below (rng, hi - lo + 1);
}

static inline gboolean
rng_chance (DemoRng *rng,
            guint32  percent)
{
  return rng_below (rng, 100) < percent;
}

/* ------------------------------------------------------------------------ */
/* A file written to a temporary name beside its final one and renamed on
 * commit, so a reader never sees half a file; dropping the writer without
 * committing removes the temporary. Errors are sticky so the generators can
 * append freely and check once per entry or chunk. */

typedef struct
{
  char         *path;
  char         *tmp_path;
  int           fd;
  guint8       *buf;
  gsize         len;
  guint64       flushed;
  GCancellable *cancellable;
  GError       *error;
} DemoWriter;

#define DEMO_WRITER_INIT { .fd = -1 }

static void
demo_writer_clear (DemoWriter *w)
{
  if (w->fd >= 0)
    close (w->fd);
  w->fd = -1;
  if (w->tmp_path != NULL)
    g_unlink (w->tmp_path);
  g_clear_pointer (&w->tmp_path, g_free);
  g_clear_pointer (&w->path, g_free);
  g_clear_pointer (&w->buf, g_free);
  g_clear_error (&w->error);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DemoWriter, demo_writer_clear)

static gboolean
demo_writer_open (DemoWriter    *w,
                  const char    *path,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autofree char *tmpl = g_strconcat (path, ".XXXXXX.tmp", NULL);
  int fd;

  g_assert (w->fd < 0 && w->tmp_path == NULL);

  fd = g_mkstemp_full (tmpl, O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      int errsv = errno;
      g_autofree char *display = g_filename_display_name (path);

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Cannot create a temporary file for “%s”: %s"),
                   display, g_strerror (errsv));
      return FALSE;
    }

  w->fd = fd;
  w->tmp_path = g_steal_pointer (&tmpl);
  w->path = g_strdup (path);
  w->buf = g_malloc (CHUNK_SIZE);
  w->len = 0;
  w->flushed = 0;
  w->cancellable = cancellable;
  return TRUE;
}

static void
demo_writer_flush (DemoWriter *w)
{
  const guint8 *p = w->buf;
  gsize left = w->len;

  if (w->error != NULL)
    return;

  /* Checked here rather than when opening, so even a small file honours a
   * cancellation and its temporary is cleaned up like a big one's. */
  if (g_cancellable_set_error_if_cancelled (w->cancellable, &w->error))
    return;

  while (left > 0)
    {
      gssize n = write (w->fd, p, left);

      if (n < 0)
        {
          int errsv = errno;
          g_autofree char *display = NULL;

          if (errsv == EINTR)
            continue;

          display = g_filename_display_name (w->path);
          g_set_error (&w->error, G_IO_ERROR, g_io_error_from_errno (errsv),
                       _("Cannot write “%s”: %s"),
                       display, g_strerror (errsv));
          return;
        }

      p += n;
      left -= (gsize) n;
    }

  w->flushed += w->len;
  w->len = 0;
}

static inline void
put (DemoWriter *w,
     const void *data,
     gsize       len)
{
  if (G_UNLIKELY (w->len + len > CHUNK_SIZE))
    {
      demo_writer_flush (w);
      if (w->error != NULL)
        return;

      /* Nothing appended is anywhere near a chunk, but stay correct. */
      while (len > CHUNK_SIZE)
        {
          memcpy (w->buf, data, CHUNK_SIZE);
          w->len = CHUNK_SIZE;
          demo_writer_flush (w);
          if (w->error != NULL)
            return;
          data = (const guint8 *) data + CHUNK_SIZE;
          len -= CHUNK_SIZE;
        }
    }

  memcpy (w->buf + w->len, data, len);
  w->len += len;
}

#define PUT(w, lit) put ((w), "" lit, sizeof (lit) - 1)

static inline void
put_char (DemoWriter *w,
          char        c)
{
  put (w, &c, 1);
}

static void
put_uint (DemoWriter *w,
          guint64     v,
          guint       width)
{
  char tmp[24];
  guint n = 0;

  do
    {
      tmp[sizeof tmp - 1 - n++] = (char) ('0' + v % 10);
      v /= 10;
    }
  while (v != 0);

  while (n < width && n < sizeof tmp)
    tmp[sizeof tmp - 1 - n++] = '0';

  put (w, tmp + sizeof tmp - n, n);
}

static inline guint64
demo_writer_size (const DemoWriter *w)
{
  return w->flushed + w->len;
}

static void
put_random (DemoWriter *w,
            DemoRng    *rng,
            guint64     n)
{
  while (n > 0 && w->error == NULL)
    {
      gsize room;
      gsize i;

      if (w->len == CHUNK_SIZE)
        {
          demo_writer_flush (w);
          continue;
        }

      room = MIN ((guint64) (CHUNK_SIZE - w->len), n);
      for (i = 0; i + 8 <= room; i += 8)
        {
          /* Little-endian so the bytes match on every architecture. */
          guint64 v = GUINT64_TO_LE (rng_next (rng));

          memcpy (w->buf + w->len + i, &v, 8);
        }
      if (i < room)
        {
          guint64 v = GUINT64_TO_LE (rng_next (rng));

          memcpy (w->buf + w->len + i, &v, room - i);
        }

      w->len += room;
      n -= room;
    }
}

static gboolean
demo_writer_commit (DemoWriter  *w,
                    guint64     *total,
                    GError     **error)
{
  int fd;

  demo_writer_flush (w);
  if (w->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&w->error));
      return FALSE;
    }

  /* No fsync: demo data can always be generated again, and syncing a
   * gigabyte would swamp the benchmarks that use it. */
  fd = w->fd;
  w->fd = -1;
  if (close (fd) != 0 && errno != EINTR)
    {
      int errsv = errno;
      g_autofree char *display = g_filename_display_name (w->path);

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Cannot write “%s”: %s"),
                   display, g_strerror (errsv));
      return FALSE;
    }

  if (g_rename (w->tmp_path, w->path) != 0)
    {
      int errsv = errno;
      g_autofree char *display = g_filename_display_name (w->path);

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Cannot move “%s” into place: %s"),
                   display, g_strerror (errsv));
      return FALSE;
    }
  g_clear_pointer (&w->tmp_path, g_free);

  if (total != NULL)
    *total += w->flushed;
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Vocabulary. Tokens never contain a double quote, a backslash or a control
 * character, so they are already valid JSON string content and the hot loop
 * is a memcpy; quotes and line breaks are emitted by the generator, which
 * knows whether it is writing JSON or plain text. No token usable at the
 * start of a sentence begins with a lowercase accented letter, so
 * capitalising is an ASCII operation. */

typedef struct
{
  const char *s;
  gsize       len;
} Tok;

#define T(lit) { "" lit, sizeof (lit) - 1 }
#define PICK(rng, table) (&(table)[rng_below ((rng), G_N_ELEMENTS (table))])

#define NBSP "\u00a0"
#define NNBSP "\u202f"

typedef struct
{
  Tok slug;
  Tok label;
  Tok path;
  Tok mailbox;
  Tok nouns[6];
  Tok keywords[6];
} Topic;

static const Topic topics[] = {
  { T ("inscription-administrative"), T ("Inscription administrative"),
    T ("scolarite/inscription"), T ("scolarite"),
    { T ("votre inscription administrative"), T ("le paiement des droits d’inscription"),
      T ("votre attestation d’acquittement de la CVEC"), T ("votre certificat de scolarité"),
      T ("le dossier de réinscription"), T ("votre numéro INE") },
    { T ("inscription"), T ("réinscription"), T ("droits d’inscription"), T ("CVEC"),
      T ("certificat de scolarité"), T ("INE") } },
  { T ("inscription-pedagogique"), T ("Inscription pédagogique"),
    T ("scolarite/inscription-pedagogique"), T ("scolarite"),
    { T ("votre contrat pédagogique"), T ("le choix de vos options"),
      T ("votre inscription aux travaux dirigés"), T ("les unités d’enseignement libres"),
      T ("votre emploi du temps"), T ("le changement de groupe de TD") },
    { T ("inscription pédagogique"), T ("options"), T ("UE libre"), T ("TD"),
      T ("emploi du temps"), T ("groupe") } },
  { T ("bourses-aides-sociales"), T ("Bourses et aides sociales"),
    T ("vie-etudiante/bourses"), T ("bourses"),
    { T ("votre dossier social étudiant"), T ("le versement de votre bourse"),
      T ("l’aide d’urgence ponctuelle"), T ("votre notification conditionnelle"),
      T ("le complément de bourse au mérite"), T ("l’aide à la mobilité") },
    { T ("bourse"), T ("DSE"), T ("Crous"), T ("aide financière"), T ("échelon"),
      T ("versement") } },
  { T ("bibliotheque"), T ("Bibliothèque universitaire"),
    T ("bibliotheque"), T ("bu"),
    { T ("votre prêt de documents"), T ("la réservation d’une salle de travail en groupe"),
      T ("l’accès aux ressources électroniques"), T ("le prêt entre bibliothèques"),
      T ("votre compte lecteur"), T ("la prolongation de vos emprunts") },
    { T ("BU"), T ("prêt"), T ("emprunt"), T ("salle de travail"),
      T ("ressources en ligne"), T ("horaires") } },
  { T ("restauration"), T ("Restauration universitaire"),
    T ("vie-etudiante/restauration"), T ("vie-etudiante"),
    { T ("le repas à tarif social"), T ("votre compte Izly"),
      T ("le rechargement de votre carte"), T ("les menus de la semaine"),
      T ("la cafétéria du campus"), T ("le repas à un euro") },
    { T ("restaurant universitaire"), T ("RU"), T ("Izly"), T ("repas"),
      T ("cafétéria"), T ("tarif") } },
  { T ("logement"), T ("Logement étudiant"),
    T ("vie-etudiante/logement"), T ("logement"),
    { T ("votre demande de logement en résidence"), T ("l’aide personnalisée au logement"),
      T ("la caution locative Visale"), T ("votre état des lieux"),
      T ("le préavis de départ"), T ("la colocation solidaire") },
    { T ("logement"), T ("résidence"), T ("APL"), T ("Visale"), T ("loyer"),
      T ("colocation") } },
  { T ("examens"), T ("Examens et scolarité"),
    T ("scolarite/examens"), T ("examens"),
    { T ("votre convocation aux examens"), T ("le relevé de notes"),
      T ("la session de rattrapage"), T ("la consultation de vos copies"),
      T ("le tiers-temps aux examens"), T ("le calendrier des partiels") },
    { T ("examens"), T ("partiels"), T ("rattrapage"), T ("notes"),
      T ("convocation"), T ("jury") } },
  { T ("mobilite-internationale"), T ("Mobilité internationale"),
    T ("international/mobilite"), T ("international"),
    { T ("votre candidature Erasmus+"), T ("le contrat d’études"),
      T ("la bourse de mobilité régionale"), T ("votre séjour à l’étranger"),
      T ("le certificat de langue"), T ("l’accueil des étudiants internationaux") },
    { T ("Erasmus"), T ("mobilité"), T ("étranger"), T ("échange"), T ("langues"),
      T ("international") } },
  { T ("sante"), T ("Santé et bien-être"),
    T ("vie-etudiante/sante"), T ("sante"),
    { T ("votre rendez-vous au service de santé"), T ("la consultation psychologique gratuite"),
      T ("le bilan de prévention"), T ("les vaccinations obligatoires"),
      T ("votre couverture sociale"), T ("le dispositif Santé Psy Étudiant") },
    { T ("santé"), T ("médecin"), T ("psychologue"), T ("prévention"), T ("mutuelle"),
      T ("sécurité sociale") } },
  { T ("handicap"), T ("Accompagnement du handicap"),
    T ("vie-etudiante/handicap"), T ("handicap"),
    { T ("votre plan d’accompagnement"), T ("les aménagements d’examens"),
      T ("l’aide humaine en cours"), T ("le matériel adapté"),
      T ("votre entretien avec la mission handicap"), T ("la reconnaissance de votre situation") },
    { T ("handicap"), T ("aménagement"), T ("PAEH"), T ("accessibilité"),
      T ("tiers-temps"), T ("accompagnement") } },
  { T ("sport"), T ("Sport universitaire"),
    T ("vie-etudiante/sport"), T ("suaps"),
    { T ("votre inscription aux activités sportives"), T ("la licence sportive universitaire"),
      T ("les créneaux de la piscine"), T ("le certificat médical"),
      T ("la salle de musculation"), T ("les compétitions interuniversitaires") },
    { T ("sport"), T ("SUAPS"), T ("activités"), T ("piscine"), T ("licence"),
      T ("compétition") } },
  { T ("services-numeriques"), T ("Services numériques"),
    T ("numerique"), T ("assistance"),
    { T ("votre compte numérique"), T ("votre adresse électronique universitaire"),
      T ("le mot de passe de l’ENT"), T ("l’accès au réseau Wi-Fi eduroam"),
      T ("la plateforme de cours en ligne"), T ("les logiciels mis à disposition") },
    { T ("ENT"), T ("mot de passe"), T ("Wi-Fi"), T ("eduroam"), T ("Moodle"),
      T ("messagerie") } },
  { T ("orientation"), T ("Orientation et insertion professionnelle"),
    T ("orientation"), T ("orientation"),
    { T ("votre projet professionnel"), T ("l’entretien d’orientation"),
      T ("la réorientation en cours d’année"), T ("les ateliers CV et lettre de motivation"),
      T ("le forum des métiers"), T ("votre candidature en master") },
    { T ("orientation"), T ("réorientation"), T ("insertion"), T ("CV"), T ("master"),
      T ("Parcoursup") } },
  { T ("stages-alternance"), T ("Stages et alternance"),
    T ("orientation/stages"), T ("stages"),
    { T ("votre convention de stage"), T ("la gratification de stage"),
      T ("le contrat d’apprentissage"), T ("l’attestation de fin de stage"),
      T ("la recherche d’une entreprise d’accueil"), T ("votre rapport de stage") },
    { T ("stage"), T ("convention"), T ("alternance"), T ("apprentissage"),
      T ("gratification"), T ("entreprise") } },
  { T ("carte-etudiante"), T ("Carte étudiante"),
    T ("scolarite/carte"), T ("scolarite"),
    { T ("votre carte étudiante multiservice"), T ("le duplicata de votre carte"),
      T ("la photo d’identité"), T ("la mise à jour annuelle de votre carte"),
      T ("le sticker de validité"), T ("la carte étudiante dématérialisée") },
    { T ("carte étudiante"), T ("duplicata"), T ("photo"), T ("perte"), T ("vol"),
      T ("carte multiservice") } },
  { T ("diplomes"), T ("Diplômes et attestations"),
    T ("scolarite/diplomes"), T ("diplomes"),
    { T ("votre diplôme de licence"), T ("l’attestation de réussite"),
      T ("le supplément au diplôme"), T ("la cérémonie de remise des diplômes"),
      T ("la vérification d’un diplôme"), T ("la validation des acquis de l’expérience") },
    { T ("diplôme"), T ("attestation"), T ("réussite"), T ("VAE"), T ("remise"),
      T ("duplicata") } },
  { T ("vie-associative"), T ("Vie associative et culture"),
    T ("vie-etudiante/associations"), T ("vie-etudiante"),
    { T ("la création d’une association étudiante"), T ("le fonds de solidarité et de développement des initiatives étudiantes"),
      T ("les ateliers de pratique artistique"), T ("l’agenda culturel du campus"),
      T ("votre engagement étudiant"), T ("le bureau des élèves") },
    { T ("association"), T ("FSDIE"), T ("culture"), T ("engagement"), T ("bénévolat"),
      T ("événements") } },
  { T ("transports"), T ("Transports et accès au campus"),
    T ("campus/transports"), T ("campus"),
    { T ("l’abonnement de transport à tarif réduit"), T ("le plan d’accès au campus"),
      T ("le stationnement des vélos"), T ("la navette inter-campus"),
      T ("le covoiturage entre étudiants"), T ("le parking réservé") },
    { T ("transport"), T ("tram"), T ("bus"), T ("vélo"), T ("parking"), T ("accès") } },
  { T ("formation-continue"), T ("Formation continue"),
    T ("formation-continue"), T ("formation-continue"),
    { T ("votre reprise d’études"), T ("le financement par le compte personnel de formation"),
      T ("le congé de transition professionnelle"), T ("les diplômes d’université"),
      T ("votre devis de formation"), T ("la formation à distance") },
    { T ("formation continue"), T ("CPF"), T ("reprise d’études"), T ("DU"),
      T ("financement"), T ("salarié") } },
  { T ("calendrier-universitaire"), T ("Calendrier universitaire"),
    T ("scolarite/calendrier"), T ("scolarite"),
    { T ("le calendrier universitaire"), T ("les dates de vacances"),
      T ("la journée d’accueil des nouveaux étudiants"), T ("la date de rentrée"),
      T ("les jours fériés"), T ("la semaine d’intégration") },
    { T ("calendrier"), T ("rentrée"), T ("vacances"), T ("semestre"), T ("accueil"),
      T ("dates") } },
};

static const Tok generic_nouns[] = {
  T ("votre dossier"), T ("votre demande"), T ("le formulaire en ligne"),
  T ("votre attestation"), T ("les pièces justificatives"),
  T ("votre justificatif de domicile"), T ("votre avis d’imposition"),
  T ("votre relevé d’identité bancaire"), T ("votre pièce d’identité"),
  T ("le dossier complet"), T ("votre situation"), T ("les informations demandées"),
  T ("votre rendez-vous"), T ("le récépissé de dépôt"),
};

/* All start with a consonant, so "Avant de" never needs eliding. */
static const Tok verbs[] = {
  T ("déposer"), T ("consulter"), T ("télécharger"), T ("renouveler"), T ("modifier"),
  T ("valider"), T ("demander"), T ("réserver"), T ("régler"), T ("préparer"),
  T ("suivre"), T ("signaler"), T ("compléter"), T ("transmettre"), T ("récupérer"),
  T ("prolonger"), T ("finaliser"), T ("mettre à jour"), T ("faire valoir"),
  T ("vérifier"), T ("justifier"), T ("planifier"), T ("solliciter"), T ("connaître"),
};

static const Tok openers[] = {
  T ("Pour"), T ("Afin de"), T ("Si vous souhaitez"), T ("Avant de"),
  T ("Lorsque vous devez"), T ("Pour pouvoir"), T ("Dans le cas où vous souhaitez"),
  T ("Si vous avez besoin de"), T ("Au moment de"), T ("Quand vous voulez"),
};

static const Tok imperatives[] = {
  T ("contactez"), T ("sollicitez"), T ("consultez"), T ("prévenez"),
  T ("interrogez"), T ("contactez directement"), T ("informez"), T ("rencontrez"),
};

static const Tok places[] = {
  T ("la scolarité de votre composante"), T ("le service de la vie étudiante"),
  T ("l’accueil du bâtiment administratif"), T ("le Crous de votre académie"),
  T ("le bureau des relations internationales"), T ("le service de santé universitaire"),
  T ("la maison de l’étudiant"), T ("le guichet unique d’accueil"),
  T ("le secrétariat pédagogique"), T ("le service des bourses"),
  T ("la mission handicap"), T ("le service commun de documentation"),
  T ("votre référent pédagogique"), T ("votre gestionnaire de scolarité"),
  T ("le service d’orientation et d’insertion"), T ("l’assistance informatique"),
  T ("le responsable de votre formation"), T ("la direction des études"),
};

static const Tok online[] = {
  T ("votre espace numérique de travail"), T ("le portail messervices.etudiant.gouv.fr"),
  T ("l’application mobile de l’université"), T ("la plateforme de dépôt en ligne"),
  T ("le site du Crous"), T ("votre espace personnel"),
  T ("la page dédiée du site de l’université"), T ("l’intranet étudiant"),
};

static const Tok rubrics[] = {
  T ("Scolarité"), T ("Mes démarches"), T ("Vie étudiante"), T ("Mon dossier"),
  T ("Bourses et aides"), T ("Services en ligne"), T ("Mes documents"), T ("Mon compte"),
  T ("Documentation"), T ("Valider"), T ("Envoyer"), T ("Nouvelle demande"),
};

static const Tok conditionals[] = {
  T ("En cas de difficulté"), T ("Si votre dossier est incomplet"),
  T ("Si vous êtes boursier"), T ("Lorsque votre demande est acceptée"),
  T ("En cas de perte ou de vol"), T ("Si vous êtes en situation de handicap"),
  T ("Si vous êtes étudiant international"), T ("En cas de retard de paiement"),
  T ("Si vous n’avez pas reçu de réponse"), T ("Pour toute question complémentaire"),
  T ("Si vous changez de formation"), T ("En cas d’absence justifiée"),
  T ("Si votre situation familiale évolue"), T ("Lorsque le délai est dépassé"),
  T ("Si vous êtes salarié"), T ("En cas de doute"),
};

static const Tok connectors[] = {
  T ("Ensuite,"), T ("Par ailleurs,"), T ("En outre,"), T ("Attention" NBSP ":"),
  T ("À noter" NBSP ":"), T ("De plus,"), T ("Enfin,"), T ("Sachez que"),
  T ("Bon à savoir" NBSP ":"), T ("Important" NBSP ":"), T ("Dans tous les cas,"),
  T ("En pratique,"), T ("Rappel" NBSP ":"), T ("Dans la plupart des cas,"),
};

static const Tok infos[] = {
  T ("vous recevrez une confirmation par courriel"),
  T ("le traitement prend généralement quelques jours"),
  T ("une pièce d’identité en cours de validité vous sera demandée"),
  T ("le paiement peut être effectué en trois fois sans frais"),
  T ("les places sont limitées"),
  T ("la démarche est entièrement dématérialisée"),
  T ("aucun dossier papier n’est accepté"),
  T ("un accusé de réception vous est envoyé automatiquement"),
  T ("le montant est fixé chaque année par arrêté ministériel"),
  T ("la liste des pièces à fournir est disponible en ligne"),
  T ("les étudiants boursiers sont exonérés de certains frais"),
  T ("votre demande sera étudiée par une commission"),
  T ("il est conseillé de conserver une copie de vos documents"),
  T ("les délais peuvent être plus longs en période de rentrée"),
  T ("le service peut vous recontacter pour compléter votre dossier"),
  T ("la réponse vous est communiquée par courriel"),
  T ("cette démarche doit être renouvelée chaque année"),
  T ("l’œuvre de solidarité étudiante peut également vous aider"),
  T ("les justificatifs doivent être lisibles et au format PDF"),
  T ("le formulaire ne prend que quelques minutes à remplir"),
  T ("vous devez être à jour de vos frais d’inscription"),
  T ("le reçu de paiement fait foi"),
  T ("les dossiers incomplets ne sont pas traités"),
  T ("une permanence est assurée pendant les vacances"),
  T ("les horaires peuvent varier pendant les congés"),
  T ("les demandes tardives sont examinées au cas par cas"),
  T ("le contrôle des pièces est effectué par le service compétent"),
  T ("vos vœux sont pris en compte dans l’ordre de préférence"),
  T ("le rôle de votre référent est de vous accompagner tout au long de l’année"),
  T ("un délai de rétractation de quatorze jours s’applique"),
  T ("la présence aux séances est obligatoire"),
  T ("le cœur de la démarche reste votre projet d’études"),
  T ("votre dossier reste consultable pendant toute la procédure"),
  T ("les étudiants en échange sont soumis aux mêmes règles"),
};

/* Clauses built from short parts rather than whole canned sentences: canned
 * sentences alone compress about 8 times with zstd, where real prose and
 * this mix (with the word-level clauses below) compress about 5 times. */
static const Tok subjects[] = {
  T ("le service"), T ("votre gestionnaire"), T ("la commission d’attribution"),
  T ("l’établissement"), T ("le Crous"), T ("votre composante"), T ("le secrétariat"),
  T ("le jury"), T ("l’équipe d’accueil"), T ("votre enseignant référent"),
  T ("la direction"), T ("le conseiller"), T ("l’administration"),
  T ("le bureau d’accueil"), T ("la plateforme"), T ("l’agent d’accueil"),
  T ("le médecin"), T ("votre tuteur"), T ("la scolarité"), T ("le rectorat"),
};

static const Tok predicates[] = {
  T ("examine votre demande"), T ("vous envoie une confirmation"),
  T ("traite les dossiers complets"), T ("vérifie les pièces justificatives"),
  T ("vous répond"), T ("valide votre inscription"), T ("vous contacte"),
  T ("étudie chaque situation"), T ("publie les résultats"),
  T ("met à jour votre dossier"), T ("vous accompagne"), T ("fixe les modalités"),
  T ("délivre l’attestation"), T ("transmet votre dossier"),
  T ("peut refuser une demande incomplète"), T ("vous oriente vers le bon interlocuteur"),
  T ("envoie une notification"), T ("accuse réception de votre demande"),
  T ("prend en charge les frais"), T ("calcule le montant de l’aide"),
  T ("organise une réunion d’information"), T ("affiche le calendrier"),
  T ("réserve un créneau"), T ("conserve vos documents"),
  T ("informe les étudiants concernés"), T ("contrôle l’assiduité"),
  T ("propose un entretien"), T ("signe la convention"), T ("rembourse le trop-perçu"),
  T ("clôture la procédure"),
};

static const Tok complements[] = {
  T (" par courriel"), T (" sous huit jours"), T (" en priorité"),
  T (" dès réception du dossier"), T (" au cas par cas"), T (" dans un délai raisonnable"),
  T (" chaque semestre"), T (" avant la fin du mois"), T (" sur simple demande"),
  T (" après vérification"), T (" par courrier"), T (" en fin de semaine"),
  T (" via votre messagerie universitaire"), T (" sans frais"),
  T (" selon les disponibilités"), T (" à la fin de chaque session"),
  T (" le plus rapidement possible"), T (" en lien avec votre composante"),
  T (" après avis de la commission"), T (" dans la limite des places disponibles"),
  T (""), T (""), T (""), T (""),
};

static const Tok qualifiers[] = {
  T (" en cours"), T (" du premier semestre"), T (" du second semestre"), T (" de licence"),
  T (" de master"), T (" de doctorat"), T (" pour la rentrée prochaine"), T (" en ligne"),
  T (" à titre exceptionnel"), T (" de l’année précédente"), T (" au format numérique"),
  T (" en version papier"), T (" avec signature"), T (" après mise à jour"), T (" pour un autre campus"),
  T (" hors délai"), T (" en double exemplaire"), T (" de vos enfants à charge"),
  T (" pendant l’été"), T (" du semestre d’échange"), T (" en alternance"),
  T (" à distance"), T (" provisoire"), T (" à titre définitif"),
};

static const Tok adverbs[] = {
  T (" sans attendre"), T (" rapidement"), T (" au préalable"), T (" si besoin"),
  T (" en priorité"), T (" le cas échéant"), T (" directement"), T (" par téléphone"),
};

/* Single words for clauses assembled word by word, with gender so that
 * articles and adjectives agree; this is what gives the text the entropy
 * of prose. */
typedef struct
{
  Tok      word;
  gboolean fem;
} Noun;

#define NM(lit) { T (lit), FALSE }
#define NF(lit) { T (lit), TRUE }

static const Noun word_nouns[] = {
  NM ("dossier"), NM ("formulaire"), NM ("justificatif"), NM ("stage"), NM ("diplôme"),
  NM ("semestre"), NM ("calendrier"), NM ("délai"), NM ("paiement"), NM ("versement"),
  NM ("logement"), NM ("restaurant"), NM ("prêt"), NM ("compte"), NM ("courriel"),
  NM ("service"), NM ("bureau"), NM ("campus"), NM ("parcours"), NM ("contrat"),
  NM ("certificat"), NM ("relevé"), NM ("examen"), NM ("tarif"), NM ("montant"),
  NM ("droit"), NM ("accès"), NM ("rendez-vous"), NM ("jury"), NM ("mémoire"),
  NM ("cursus"), NM ("tuteur"), NM ("crédit"), NM ("module"), NM ("badge"),
  NM ("guichet"), NM ("site"), NM ("document"), NM ("avis"), NM ("échelon"),
  NM ("emploi du temps"), NM ("enseignement"), NM ("étudiant"), NM ("entretien"),
  NM ("projet"), NM ("remboursement"), NM ("titre de séjour"), NM ("barème"),
  NF ("bourse"), NF ("demande"), NF ("inscription"), NF ("attestation"), NF ("carte"),
  NF ("formation"), NF ("bibliothèque"), NF ("salle"), NF ("session"), NF ("note"),
  NF ("aide"), NF ("résidence"), NF ("convention"), NF ("procédure"), NF ("commission"),
  NF ("démarche"), NF ("réponse"), NF ("pièce"), NF ("date"), NF ("plateforme"),
  NF ("composante"), NF ("licence"), NF ("filière"), NF ("candidature"), NF ("mobilité"),
  NF ("caution"), NF ("facture"), NF ("réservation"), NF ("permanence"), NF ("priorité"),
  NF ("situation"), NF ("université"), NF ("scolarité"), NF ("mention"), NF ("année"),
  NF ("option"), NF ("équipe"), NF ("assiduité"), NF ("exonération"), NF ("rentrée"),
  NF ("charte"), NF ("limite"), NF ("adresse"), NF ("indemnité"),
  NM ("amphithéâtre"), NM ("laboratoire"), NM ("partenariat"), NM ("financement"),
  NM ("handicap"), NM ("transport"), NM ("abonnement"), NM ("justificatif de revenus"),
  NM ("numéro"), NM ("mot de passe"), NM ("conseil"), NM ("référent"), NM ("master"),
  NM ("doctorat"), NM ("concours"), NM ("stationnement"), NM ("chèque"), NM ("virement"),
  NM ("repas"), NM ("ticket"), NM ("créneau"), NM ("secrétariat"), NM ("règlement"),
  NM ("programme"), NM ("bilan"), NM ("guide"), NM ("lecteur"), NM ("ordinateur"),
  NF ("cotisation"), NF ("mutuelle"), NF ("vaccination"), NF ("consultation"),
  NF ("messagerie"), NF ("connexion"), NF ("signature"), NF ("photo"), NF ("copie"),
  NF ("entreprise"), NF ("alternance"), NF ("gratification"), NF ("soutenance"),
  NF ("thèse"), NF ("promotion"), NF ("association"), NF ("activité"), NF ("piscine"),
  NF ("navette"), NF ("colocation"), NF ("garantie"), NF ("quittance"), NF ("allocation"),
  NF ("échéance"), NF ("relance"), NF ("modalité"), NF ("validation"), NF ("dérogation"),
  NF ("réorientation"), NF ("passerelle"), NF ("unité d’enseignement"),
};

typedef struct
{
  Tok m;
  Tok f;
} Adj;

#define A2(m, f) { T (m), T (f) }

static const Adj adjectives[] = {
  A2 ("administratif", "administrative"), A2 ("pédagogique", "pédagogique"),
  A2 ("universitaire", "universitaire"), A2 ("social", "sociale"),
  A2 ("complet", "complète"), A2 ("annuel", "annuelle"), A2 ("obligatoire", "obligatoire"),
  A2 ("numérique", "numérique"), A2 ("provisoire", "provisoire"),
  A2 ("définitif", "définitive"), A2 ("individuel", "individuelle"),
  A2 ("gratuit", "gratuite"), A2 ("personnel", "personnelle"), A2 ("officiel", "officielle"),
  A2 ("complémentaire", "complémentaire"), A2 ("spécifique", "spécifique"),
  A2 ("exceptionnel", "exceptionnelle"), A2 ("international", "internationale"),
  A2 ("prioritaire", "prioritaire"), A2 ("signé", "signée"), A2 ("validé", "validée"),
  A2 ("dématérialisé", "dématérialisée"), A2 ("mensuel", "mensuelle"),
  A2 ("adapté", "adaptée"), A2 ("réduit", "réduite"), A2 ("disponible", "disponible"),
  A2 ("concerné", "concernée"), A2 ("régional", "régionale"),
  A2 ("électronique", "électronique"), A2 ("médical", "médicale"), A2 ("écrit", "écrite"),
  A2 ("public", "publique"), A2 ("local", "locale"), A2 ("partiel", "partielle"),
  A2 ("actuel", "actuelle"), A2 ("initial", "initiale"), A2 ("collectif", "collective"),
  A2 ("ponctuel", "ponctuelle"), A2 ("précédent", "précédente"), A2 ("suivant", "suivante"),
  A2 ("accessible", "accessible"), A2 ("annulé", "annulée"), A2 ("reporté", "reportée"),
  A2 ("incomplet", "incomplète"), A2 ("manquant", "manquante"), A2 ("habituel", "habituelle"),
  A2 ("semestriel", "semestrielle"), A2 ("national", "nationale"), A2 ("européen", "européenne"),
  A2 ("payant", "payante"), A2 ("facultatif", "facultative"),
  A2 ("confidentiel", "confidentielle"), A2 ("sécurisé", "sécurisée"),
  A2 ("informatique", "informatique"), A2 ("principal", "principale"),
  A2 ("ancien", "ancienne"), A2 ("long", "longue"), A2 ("court", "courte"),
  A2 ("temporaire", "temporaire"),
};

typedef struct
{
  Tok singular;
  Tok plural;
  Tok infinitive;
} Verb;

#define V(s, p, inf) { T (s), T (p), T (inf) }

/* Futures are derived from the infinitive, so only verbs whose future is
 * regular (infinitive, minus a final "e", plus "a"/"ont") belong here. */
static const Verb verbs3[] = {
  V ("permet", "permettent", "permettre"), V ("facilite", "facilitent", "faciliter"),
  V ("concerne", "concernent", "concerner"), V ("précise", "précisent", "préciser"),
  V ("remplace", "remplacent", "remplacer"), V ("complète", "complètent", "compléter"),
  V ("accompagne", "accompagnent", "accompagner"), V ("garantit", "garantissent", "garantir"),
  V ("nécessite", "nécessitent", "nécessiter"), V ("comprend", "comprennent", "comprendre"),
  V ("prévoit", "prévoient", "prévoir"), V ("indique", "indiquent", "indiquer"),
  V ("modifie", "modifient", "modifier"), V ("simplifie", "simplifient", "simplifier"),
  V ("finance", "financent", "financer"), V ("encadre", "encadrent", "encadrer"),
  V ("limite", "limitent", "limiter"), V ("couvre", "couvrent", "couvrir"),
  V ("détermine", "déterminent", "déterminer"), V ("justifie", "justifient", "justifier"),
  V ("conditionne", "conditionnent", "conditionner"), V ("précède", "précèdent", "précéder"),
  V ("suit", "suivent", "suivre"), V ("mentionne", "mentionnent", "mentionner"),
  V ("valide", "valident", "valider"), V ("confirme", "confirment", "confirmer"),
  V ("exige", "exigent", "exiger"), V ("autorise", "autorisent", "autoriser"),
  V ("accélère", "accélèrent", "accélérer"), V ("retarde", "retardent", "retarder"),
  V ("rembourse", "remboursent", "rembourser"), V ("recense", "recensent", "recenser"),
  V ("signale", "signalent", "signaler"), V ("réserve", "réservent", "réserver"),
  V ("vérifie", "vérifient", "vérifier"), V ("transmet", "transmettent", "transmettre"),
  V ("fixe", "fixent", "fixer"), V ("détaille", "détaillent", "détailler"),
  V ("regroupe", "regroupent", "regrouper"), V ("prolonge", "prolongent", "prolonger"),
  V ("suspend", "suspendent", "suspendre"), V ("annule", "annulent", "annuler"),
  V ("déclenche", "déclenchent", "déclencher"), V ("ouvre", "ouvrent", "ouvrir"),
  V ("remplit", "remplissent", "remplir"), V ("réunit", "réunissent", "réunir"),
  V ("définit", "définissent", "définir"), V ("fournit", "fournissent", "fournir"),
  V ("inclut", "incluent", "inclure"), V ("attend", "attendent", "attendre"),
  V ("rejoint", "rejoignent", "rejoindre"), V ("interdit", "interdisent", "interdire"),
  V ("produit", "produisent", "produire"), V ("accepte", "acceptent", "accepter"),
  V ("présente", "présentent", "présenter"), V ("organise", "organisent", "organiser"),
};

static const Verb modals[] = {
  V ("peut", "peuvent", ""), V ("doit", "doivent", ""), V ("pourra", "pourront", ""),
  V ("devra", "devront", ""), V ("semble", "semblent", ""),
};

static const Tok adverbs3[] = {
  T (" généralement"), T (" également"), T (" automatiquement"), T (" uniquement"),
  T (" notamment"), T (" désormais"), T (" toujours"), T (" parfois"), T (" souvent"),
  T (" rarement"), T (" aussi"), T (" déjà"),
};

static const Tok prepositions[] = {
  T (" pour "), T (" avec "), T (" sans "), T (" dans "), T (" après "), T (" avant "),
  T (" selon "), T (" pendant "), T (" sur "), T (" par "), T (" malgré "), T (" hors "),
};

static const Tok closings[] = {
  T ("N’hésitez pas à nous contacter pour plus d’informations."),
  T ("Nous restons à votre disposition."),
  T ("Bonne rentrée" NNBSP "!"),
  T ("Pour en savoir plus, cliquez sur le bouton ci-dessous."),
  T ("Cette réponse vous a-t-elle été utile" NNBSP "?"),
  T ("Bonne journée et bon courage pour vos études" NNBSP "!"),
  T ("Vous trouverez toutes les informations utiles ci-dessous."),
};

static const Tok greetings[] = {
  T ("Bonjour" NNBSP "!"), T ("Bonjour,"), T ("Bien sûr" NNBSP "!"),
  T ("Je vais vous aider."), T ("Voici ce qu’il faut savoir."),
  T ("Très bonne question" NNBSP "!"), T ("Avec plaisir."),
};

static const Tok question_starts[] = {
  T ("Comment"), T ("Où"), T ("Quand"), T ("Jusqu’à quand puis-je"), T ("Comment faire pour"),
  T ("Est-il possible de"), T ("Qui peut m’aider à"), T ("Dois-je"),
};

static const Tok question_about[] = {
  T ("Qui contacter pour"), T ("Quels sont les délais pour"),
  T ("Que faire en cas de problème avec"), T ("Quelles pièces fournir pour"),
  T ("Combien coûte"), T ("J’ai une question sur"),
};

static const Tok periods[] = {
  T ("par an"), T ("par mois"), T ("pour l’année universitaire"), T ("par semestre"),
  T ("par repas"), T ("pour la session"),
};

static const Tok months[] = {
  T ("janvier"), T ("février"), T ("mars"), T ("avril"), T ("mai"), T ("juin"),
  T ("juillet"), T ("août"), T ("septembre"), T ("octobre"), T ("novembre"),
  T ("décembre"),
};

static const Tok days[] = {
  T ("lundi"), T ("mardi"), T ("mercredi"), T ("jeudi"), T ("vendredi"),
};

static const Tok search_words[] = {
  T ("comment"), T ("démarche"), T ("délai"), T ("contact"), T ("formulaire"),
  T ("étudiant"), T ("université"), T ("rentrée"), T ("dossier"), T ("aide"),
  T ("date limite"), T ("horaires"), T ("tarif"), T ("justificatif"), T ("en ligne"),
};

static const Tok button_labels[] = {
  T ("En savoir plus"), T ("Accéder au formulaire"), T ("Prendre rendez-vous"),
  T ("Télécharger le guide (PDF)"), T ("Contacter le service"),
  T ("Consulter le calendrier"), T ("Voir les horaires"), T ("Faire une demande"),
  T ("Accéder à l’ENT"), T ("Poser une autre question"), T ("Plan d’accès"),
  T ("Foire aux questions"),
};

static const Tok url_pages[] = {
  T ("demarches"), T ("faq"), T ("formulaires"), T ("contacts"), T ("calendrier"),
  T ("tarifs"), T ("pieces-a-fournir"), T ("guide-pratique"), T ("actualites"),
  T ("questions-frequentes"),
};

static const Tok external_urls[] = {
  T ("https://www.etudiant.gouv.fr/fr/"), T ("https://messervices.etudiant.gouv.fr/envole/"),
  T ("https://www.crous-exemple.fr/"), T ("https://cvec.etudiant.gouv.fr/"),
  T ("https://www.service-public.fr/particuliers/vosdroits/F"),
  T ("https://www.parcoursup.fr/"), T ("https://trouvermonmaster.gouv.fr/"),
};

/* ------------------------------------------------------------------------ */
/* Text generator. */

typedef struct
{
  DemoWriter  *w;
  DemoRng     *rng;
  gboolean     json;
  const Topic *topic;
} Gen;

static inline void
put_tok (Gen       *g,
         const Tok *t)
{
  put (g->w, t->s, t->len);
}

static void
put_tok_cap (Gen       *g,
             const Tok *t)
{
  if (t->len > 0 && t->s[0] >= 'a' && t->s[0] <= 'z')
    {
      put_char (g->w, (char) (t->s[0] - 'a' + 'A'));
      put (g->w, t->s + 1, t->len - 1);
    }
  else
    put_tok (g, t);
}

static void
gen_quote (Gen *g)
{
  if (g->json)
    PUT (g->w, "\\\"");
  else
    PUT (g->w, "\"");
}

static void
gen_newline (Gen *g)
{
  if (g->json)
    PUT (g->w, "\\n");
  else
    PUT (g->w, "\n");
}

static const Tok *
gen_pick_noun (Gen *g)
{
  if (rng_chance (g->rng, 75))
    return PICK (g->rng, g->topic->nouns);
  return PICK (g->rng, generic_nouns);
}

static void
gen_noun (Gen *g)
{
  put_tok (g, gen_pick_noun (g));
  if (rng_chance (g->rng, 40))
    put_tok (g, PICK (g->rng, qualifiers));
}

static void
gen_place (Gen *g)
{
  put_tok (g, PICK (g->rng, places));
  if (rng_chance (g->rng, 20))
    {
      PUT (g->w, " (bâtiment ");
      put_char (g->w, (char) ('A' + rng_below (g->rng, 8)));
      PUT (g->w, ", bureau ");
      put_uint (g->w, rng_range (g->rng, 1, 4) * 100 + rng_below (g->rng, 60), 0);
      put_char (g->w, ')');
    }
}

static void
gen_imperative (Gen *g)
{
  put_tok (g, PICK (g->rng, imperatives));
  put_char (g->w, ' ');
  gen_place (g);
  if (rng_chance (g->rng, 30))
    put_tok (g, PICK (g->rng, adverbs));
}

static gboolean
starts_with_vowel (const Tok *t)
{
  const guchar *p = (const guchar *) t->s;

  if (p[0] == 'a' || p[0] == 'e' || p[0] == 'i' || p[0] == 'o' || p[0] == 'u')
    return TRUE;
  /* é, è, ê. The one noun with an h, "handicap", takes no elision. */
  return p[0] == 0xc3 && (p[1] == 0xa9 || p[1] == 0xa8 || p[1] == 0xaa);
}

/* French plural of the first word of w (the rest of a compound such as
 * "titre de séjour" stays as is), following the regular rules, which the
 * word lists are chosen to respect. */
static void
put_plural (Gen       *g,
            const Tok *w)
{
  const char *space = memchr (w->s, ' ', w->len);
  gsize head = space != NULL ? (gsize) (space - w->s) : w->len;
  const char *end = w->s + head;

  if (head >= 1 && (end[-1] == 's' || end[-1] == 'x' || end[-1] == 'z'))
    put (g->w, w->s, head);
  else if (head >= 2 && end[-2] == 'a' && end[-1] == 'l')
    {
      put (g->w, w->s, head - 1);
      PUT (g->w, "ux");
    }
  else if (head >= 2 && (end[-2] == 'a' || end[-2] == 'e') && end[-1] == 'u')
    {
      put (g->w, w->s, head);
      put_char (g->w, 'x');
    }
  else
    {
      put (g->w, w->s, head);
      put_char (g->w, 's');
    }
  put (g->w, w->s + head, w->len - head);
}

/* Writes a noun phrase; returns whether it is plural, for agreement. */
static gboolean
gen_np (Gen      *g,
        gboolean  capital)
{
  static const Tok det_l = T ("l’"), det_le = T ("le "), det_la = T ("la "),
    det_votre = T ("votre "), det_ce = T ("ce "), det_cet = T ("cet "),
    det_cette = T ("cette "), det_un = T ("un "), det_une = T ("une "),
    det_chaque = T ("chaque "), det_les = T ("les "), det_vos = T ("vos "),
    det_ces = T ("ces "), det_des = T ("des "), det_plusieurs = T ("plusieurs "),
    det_certains = T ("certains "), det_certaines = T ("certaines "),
    det_tous = T ("tous les "), det_toutes = T ("toutes les ");
  const Noun *n = PICK (g->rng, word_nouns);
  gboolean vowel = starts_with_vowel (&n->word);
  gboolean plural = rng_chance (g->rng, 35);
  const Tok *det;

  if (plural)
    {
      switch (rng_below (g->rng, 8))
        {
        case 0:
        case 1:
          det = &det_les;
          break;
        case 2:
          det = &det_vos;
          break;
        case 3:
          det = &det_ces;
          break;
        case 4:
          det = &det_des;
          break;
        case 5:
          det = &det_plusieurs;
          break;
        case 6:
          det = n->fem ? &det_certaines : &det_certains;
          break;
        default:
          det = n->fem ? &det_toutes : &det_tous;
          break;
        }
    }
  else
    {
      switch (rng_below (g->rng, 7))
        {
        case 0:
        case 1:
        case 2:
          det = vowel ? &det_l : n->fem ? &det_la : &det_le;
          break;
        case 3:
          det = &det_votre;
          break;
        case 4:
          det = n->fem ? &det_cette : vowel ? &det_cet : &det_ce;
          break;
        case 5:
          det = n->fem ? &det_une : &det_un;
          break;
        default:
          det = &det_chaque;
          break;
        }
    }

  if (capital)
    put_tok_cap (g, det);
  else
    put_tok (g, det);
  if (plural)
    put_plural (g, &n->word);
  else
    put_tok (g, &n->word);

  if (rng_chance (g->rng, 55))
    {
      const Adj *a = PICK (g->rng, adjectives);
      const Tok *form = n->fem ? &a->f : &a->m;

      put_char (g->w, ' ');
      if (plural)
        put_plural (g, form);
      else
        put_tok (g, form);
    }
  if (rng_chance (g->rng, 35))
    {
      const Noun *of = PICK (g->rng, word_nouns);

      if (starts_with_vowel (&of->word))
        PUT (g->w, " d’");
      else
        PUT (g->w, " de ");
      put_tok (g, &of->word);
    }
  else if (!plural && rng_chance (g->rng, 6))
    {
      PUT (g->w, " n°" NBSP);
      put_uint (g->w, rng_range (g->rng, 2024, 2026), 0);
      put_char (g->w, '-');
      put_uint (g->w, rng_below (g->rng, 100000), 5);
    }

  return plural;
}

static void
gen_verb (Gen      *g,
          gboolean  plural)
{
  const Verb *v = PICK (g->rng, verbs3);
  guint tense = rng_below (g->rng, 20);

  if (tense < 11)
    {
      put_tok (g, plural ? &v->plural : &v->singular);
    }
  else if (tense < 16)
    {
      const Tok *inf = &v->infinitive;
      gsize stem = inf->s[inf->len - 1] == 'e' ? inf->len - 1 : inf->len;

      put (g->w, inf->s, stem);
      if (plural)
        PUT (g->w, "ont");
      else
        put_char (g->w, 'a');
    }
  else
    {
      const Verb *m = PICK (g->rng, modals);

      put_tok (g, plural ? &m->plural : &m->singular);
      put_char (g->w, ' ');
      put_tok (g, &v->infinitive);
    }
}

/* NP verb NP [prep NP]: grammatical, if not always meaningful. */
static void
gen_free_clause (Gen      *g,
                 gboolean  capital)
{
  gboolean plural = gen_np (g, capital);

  put_char (g->w, ' ');
  gen_verb (g, plural);
  if (rng_chance (g->rng, 20))
    put_tok (g, PICK (g->rng, adverbs3));
  put_char (g->w, ' ');
  gen_np (g, FALSE);
  if (rng_chance (g->rng, 50))
    {
      put_tok (g, PICK (g->rng, prepositions));
      gen_np (g, FALSE);
    }
}

static void
gen_clause (Gen *g)
{
  put_tok (g, PICK (g->rng, subjects));
  put_char (g->w, ' ');
  put_tok (g, PICK (g->rng, predicates));
  put_tok (g, PICK (g->rng, complements));
}

static void
put_date (Gen   *g,
          guint  day,
          guint  month,
          guint  year)
{
  if (day == 1)
    PUT (g->w, "1er");
  else
    put_uint (g->w, day, 0);
  put_char (g->w, ' ');
  put_tok (g, &months[month]);
  put_char (g->w, ' ');
  put_uint (g->w, year, 0);
}

static void
gen_date (Gen *g)
{
  guint day = rng_range (g->rng, 1, 28);
  guint month = rng_below (g->rng, 12);
  guint year = rng_range (g->rng, 2024, 2026);

  put_date (g, day, month, year);
}

/* "entre le … et le …", in chronological order. */
static void
gen_date_span (Gen *g)
{
  guint day = rng_range (g->rng, 1, 20);
  guint month = rng_below (g->rng, 11);
  guint year = rng_range (g->rng, 2024, 2026);
  guint months_later = rng_below (g->rng, 3);

  PUT (g->w, " entre le ");
  put_date (g, day, month, year);
  PUT (g->w, " et le ");
  if (months_later == 0)
    put_date (g, day + rng_range (g->rng, 3, 8), month, year);
  else
    put_date (g, rng_range (g->rng, 1, 28), MIN (month + months_later, 11), year);
}

static void
gen_clock (Gen     *g,
           guint32  lo,
           guint32  hi)
{
  put_uint (g->w, rng_range (g->rng, lo, hi), 0);
  PUT (g->w, NBSP "h");
  if (rng_chance (g->rng, 50))
    {
      PUT (g->w, NBSP);
      put_uint (g->w, 15 * rng_below (g->rng, 4), 2);
    }
}

static void
gen_hours (Gen *g)
{
  if (rng_chance (g->rng, 60))
    {
      PUT (g->w, "du lundi au vendredi");
    }
  else
    {
      PUT (g->w, "le ");
      put_tok (g, PICK (g->rng, days));
      PUT (g->w, " et le ");
      put_tok (g, PICK (g->rng, days));
    }
  PUT (g->w, " de ");
  gen_clock (g, 8, 10);
  PUT (g->w, " à ");
  gen_clock (g, 12, 18);
}

static void
gen_phone (Gen *g)
{
  PUT (g->w, "03" NBSP "80");
  for (int i = 0; i < 3; i++)
    {
      PUT (g->w, NBSP);
      put_uint (g->w, rng_below (g->rng, 100), 2);
    }
}

static void
gen_email (Gen *g)
{
  put_tok (g, &g->topic->mailbox);
  PUT (g->w, "@univ-exemple.fr");
}

static void
gen_amount (Gen *g)
{
  put_uint (g->w, rng_range (g->rng, 1, 950), 0);
  if (rng_chance (g->rng, 40))
    {
      put_char (g->w, ',');
      put_uint (g->w, rng_below (g->rng, 100), 2);
    }
  PUT (g->w, NBSP "€");
}

/* May write nothing: not every sentence needs a deadline. */
static void
gen_when (Gen *g)
{
  switch (rng_below (g->rng, 9))
    {
    case 0:
      PUT (g->w, " avant le ");
      gen_date (g);
      break;
    case 1:
      PUT (g->w, " dans un délai de ");
      put_uint (g->w, rng_range (g->rng, 2, 30), 0);
      PUT (g->w, " jours");
      break;
    case 2:
      PUT (g->w, " au plus tard ");
      put_uint (g->w, rng_range (g->rng, 2, 8), 0);
      PUT (g->w, " semaines avant la rentrée");
      break;
    case 3:
      PUT (g->w, " dès la rentrée");
      break;
    case 4:
      PUT (g->w, " pendant toute l’année universitaire");
      break;
    case 5:
      gen_date_span (g);
      break;
    case 6:
      PUT (g->w, " dans les meilleurs délais");
      break;
    default:
      break;
    }
}

static void
gen_rubric (Gen *g)
{
  PUT (g->w, ", rubrique ");
  if (rng_chance (g->rng, 70))
    {
      PUT (g->w, "«" NBSP);
      put_tok (g, PICK (g->rng, rubrics));
      PUT (g->w, NBSP "»");
    }
  else
    {
      gen_quote (g);
      put_tok (g, PICK (g->rng, rubrics));
      gen_quote (g);
    }
}

static void
gen_sentence (Gen *g)
{
  DemoWriter *w = g->w;
  DemoRng *r = g->rng;

  switch (rng_below (r, 56))
    {
    case 0:
    case 1:
      put_tok (g, PICK (r, openers));
      put_char (w, ' ');
      put_tok (g, PICK (r, verbs));
      put_char (w, ' ');
      gen_noun (g);
      PUT (w, ", rendez-vous sur ");
      put_tok (g, PICK (r, online));
      if (rng_chance (r, 50))
        gen_rubric (g);
      put_char (w, '.');
      break;
    case 2:
    case 3:
      put_tok (g, PICK (r, openers));
      put_char (w, ' ');
      put_tok (g, PICK (r, verbs));
      put_char (w, ' ');
      gen_noun (g);
      PUT (w, ", ");
      gen_imperative (g);
      gen_when (g);
      put_char (w, '.');
      break;
    case 4:
    case 5:
      put_tok (g, PICK (r, conditionals));
      PUT (w, ", ");
      if (rng_chance (r, 50))
        {
          gen_imperative (g);
          gen_when (g);
        }
      else
        {
          gen_clause (g);
        }
      put_char (w, '.');
      break;
    case 6:
      put_tok (g, PICK (r, connectors));
      put_char (w, ' ');
      put_tok (g, PICK (r, infos));
      put_char (w, '.');
      break;
    case 7:
    case 8:
      put_tok (g, PICK (r, connectors));
      put_char (w, ' ');
      gen_clause (g);
      put_char (w, '.');
      break;
    case 9:
      PUT (w, "Vous pouvez ");
      put_tok (g, PICK (r, verbs));
      put_char (w, ' ');
      gen_noun (g);
      gen_when (g);
      put_char (w, '.');
      break;
    case 10:
      put_tok_cap (g, PICK (r, infos));
      put_char (w, '.');
      break;
    case 11:
    case 12:
      put_tok_cap (g, PICK (r, subjects));
      put_char (w, ' ');
      put_tok (g, PICK (r, predicates));
      put_tok (g, PICK (r, complements));
      gen_when (g);
      put_char (w, '.');
      break;
    case 13:
      put_tok_cap (g, PICK (r, places));
      PUT (w, " vous accueille ");
      gen_hours (g);
      put_char (w, '.');
      break;
    case 14:
      PUT (w, "Pour toute question, contactez ");
      gen_place (g);
      PUT (w, " au ");
      gen_phone (g);
      PUT (w, " ou par courriel à ");
      gen_email (g);
      put_char (w, '.');
      break;
    case 15:
      PUT (w, "Le montant s’élève à ");
      gen_amount (g);
      put_char (w, ' ');
      put_tok (g, PICK (r, periods));
      put_char (w, '.');
      break;
    case 16:
    case 17:
    case 18:
    case 19:
      put_tok (g, PICK (r, connectors));
      put_char (w, ' ');
      gen_free_clause (g, FALSE);
      put_char (w, '.');
      break;
    case 20:
    case 21:
      put_tok (g, PICK (r, conditionals));
      PUT (w, ", ");
      gen_free_clause (g, FALSE);
      put_char (w, '.');
      break;
    default:
      gen_free_clause (g, TRUE);
      put_char (w, '.');
      break;
    }
}

static void
gen_sentences (Gen   *g,
               guint  n)
{
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        put_char (g->w, ' ');
      gen_sentence (g);
    }
}

static void
gen_question (Gen *g)
{
  if (rng_chance (g->rng, 70))
    {
      put_tok (g, PICK (g->rng, question_starts));
      put_char (g->w, ' ');
      put_tok (g, PICK (g->rng, verbs));
    }
  else
    {
      put_tok (g, PICK (g->rng, question_about));
    }
  put_char (g->w, ' ');
  gen_noun (g);
  PUT (g->w, NNBSP "?");
}

static void
gen_bubble_text (Gen *g)
{
  guint paragraphs = rng_range (g->rng, 1, 4);

  if (rng_chance (g->rng, 40))
    {
      put_tok (g, PICK (g->rng, greetings));
      put_char (g->w, ' ');
    }
  for (guint i = 0; i < paragraphs; i++)
    {
      if (i > 0)
        {
          gen_newline (g);
          gen_newline (g);
        }
      gen_sentences (g, rng_range (g->rng, 2, 5));
    }
  if (rng_chance (g->rng, 30))
    {
      put_char (g->w, ' ');
      put_tok (g, PICK (g->rng, closings));
    }
}

static void
gen_site_url (Gen *g)
{
  PUT (g->w, "https://www.univ-exemple.fr/");
  put_tok (g, &g->topic->path);
  if (rng_chance (g->rng, 70))
    {
      put_char (g->w, '/');
      put_tok (g, PICK (g->rng, url_pages));
    }
  if (rng_chance (g->rng, 30))
    {
      PUT (g->w, "?id=");
      put_uint (g->w, rng_below (g->rng, 100000), 0);
    }
}

static void
gen_link (Gen *g)
{
  if (rng_chance (g->rng, 75))
    {
      gen_site_url (g);
    }
  else
    {
      const Tok *t = PICK (g->rng, external_urls);

      put_tok (g, t);
      if (t->s[t->len - 1] == 'F')
        put_uint (g->w, rng_range (g->rng, 100, 35000), 0);
    }
}

static void
gen_hex (Gen   *g,
         guint  digits)
{
  static const char hex[] = "0123456789abcdef";
  guint64 v = rng_next (g->rng);

  for (guint i = 0; i < digits && i < 16; i++, v >>= 4)
    put_char (g->w, hex[v & 0xf]);
}

/* ------------------------------------------------------------------------ */
/* rag/search.json, laid out byte for byte as Python's
 * json.dump (kb, f, indent=2, ensure_ascii=False) would. */

static void
gen_entry_name (Gen     *g,
                guint64  number)
{
  put_tok (g, &g->topic->slug);
  put_char (g->w, '-');
  put_uint (g->w, number, 4);
}

static void
gen_bubbles (Gen *g)
{
  DemoWriter *w = g->w;
  guint n = rng_range (g->rng, 1, 4);

  PUT (w, "          \"Bubbles\": [\n");
  for (guint i = 0; i < n; i++)
    {
      PUT (w, "            {\n"
              "              \"Text\": \"");
      gen_bubble_text (g);
      PUT (w, "\",\n"
              "              \"Image\": \"");
      if (rng_chance (g->rng, 15))
        {
          PUT (w, "https://www.univ-exemple.fr/medias/images/");
          put_tok (g, &g->topic->slug);
          put_char (w, '-');
          put_uint (w, rng_below (g->rng, 1000), 3);
          PUT (w, ".jpg");
        }
      PUT (w, "\",\n"
              "              \"Video\": \"");
      if (rng_chance (g->rng, 5))
        {
          PUT (w, "https://videos.univ-exemple.fr/video/");
          gen_hex (g, 12);
        }
      PUT (w, "\",\n"
              "              \"Order\": ");
      put_uint (w, i + 1, 0);
      PUT (w, "\n"
              "            }");
      if (i + 1 < n)
        put_char (w, ',');
      put_char (w, '\n');
    }
  PUT (w, "          ],\n");
}

static void
gen_buttons (Gen *g)
{
  DemoWriter *w = g->w;
  guint n = rng_below (g->rng, 4);

  if (n == 0)
    {
      PUT (w, "          \"Buttons\": [],\n");
      return;
    }

  PUT (w, "          \"Buttons\": [\n");
  for (guint i = 0; i < n; i++)
    {
      guint kind = rng_below (g->rng, 10);

      PUT (w, "            {\n"
              "              \"Label\": \"");
      if (kind == 0)
        PUT (w, "Appeler le service");
      else if (kind == 1)
        PUT (w, "Écrire au service");
      else
        put_tok (g, PICK (g->rng, button_labels));
      PUT (w, "\",\n"
              "              \"Link\": \"");
      if (kind == 0)
        {
          PUT (w, "tel:+33380");
          put_uint (w, rng_below (g->rng, 1000000), 6);
        }
      else if (kind == 1)
        {
          PUT (w, "mailto:");
          gen_email (g);
        }
      else
        {
          gen_link (g);
        }
      PUT (w, "\",\n"
              "              \"Type\": \"");
      if (kind == 0)
        PUT (w, "phone");
      else if (kind == 1)
        PUT (w, "email");
      else
        PUT (w, "link");
      PUT (w, "\",\n"
              "              \"Order\": ");
      put_uint (w, i + 1, 0);
      PUT (w, "\n"
              "            }");
      if (i + 1 < n)
        put_char (w, ',');
      put_char (w, '\n');
    }
  PUT (w, "          ],\n");
}

static void
gen_message (Gen *g)
{
  DemoWriter *w = g->w;

  PUT (w, "        {\n"
          "          \"Label\": \"");
  gen_question (g);
  PUT (w, "\",\n"
          "          \"Description\": \"");
  gen_sentence (g);
  PUT (w, "\",\n");
  gen_bubbles (g);
  gen_buttons (g);
  PUT (w, "          \"Actions\": [],\n"
          "          \"Cards\": [],\n");
  /* A few open questions so consumers see both shapes. */
  if (rng_chance (g->rng, 5))
    {
      PUT (w, "          \"OpenQuestion\": true,\n"
              "          \"OpenQuestionLink\": \"");
      gen_site_url (g);
      PUT (w, "\"\n");
    }
  else
    {
      PUT (w, "          \"OpenQuestion\": false,\n"
              "          \"OpenQuestionLink\": \"\"\n");
    }
  PUT (w, "        }");
}

static void
gen_entry (Gen     *g,
           guint64  number)
{
  DemoWriter *w = g->w;
  guint n;

  g->topic = PICK (g->rng, topics);

  PUT (w, "  \"");
  gen_entry_name (g, number);
  PUT (w, "\": {\n"
          "    \"name\": \"");
  gen_entry_name (g, number);
  PUT (w, "\",\n"
          "    \"description\": \"");
  gen_sentences (g, rng_range (g->rng, 1, 3));
  PUT (w, "\",\n"
          "    \"search\": \"");
  gen_question (g);
  n = rng_range (g->rng, 2, 6);
  for (guint i = 0; i < n; i++)
    {
      put_char (w, ' ');
      if (rng_chance (g->rng, 60))
        put_tok (g, PICK (g->rng, g->topic->keywords));
      else
        put_tok (g, PICK (g->rng, search_words));
    }
  PUT (w, "\",\n"
          "    \"keywords\": [\n");
  n = rng_range (g->rng, 2, 6);
  for (guint i = 0; i < n; i++)
    {
      PUT (w, "      \"");
      if (rng_chance (g->rng, 75))
        put_tok (g, PICK (g->rng, g->topic->keywords));
      else
        put_tok (g, PICK (g->rng, search_words));
      put_char (w, '"');
      if (i + 1 < n)
        put_char (w, ',');
      put_char (w, '\n');
    }
  PUT (w, "    ],\n"
          "    \"links\": [\n");
  n = rng_range (g->rng, 1, 3);
  for (guint i = 0; i < n; i++)
    {
      PUT (w, "      \"");
      gen_link (g);
      put_char (w, '"');
      if (i + 1 < n)
        put_char (w, ',');
      put_char (w, '\n');
    }
  PUT (w, "    ],\n"
          "    \"details\": {\n"
          "      \"Name\": \"");
  gen_entry_name (g, number);
  PUT (w, "\",\n"
          "      \"Label\": \"");
  put_tok (g, &g->topic->label);
  PUT (w, "\",\n"
          "      \"Messages\": [\n");
  n = rng_range (g->rng, 1, 3);
  for (guint i = 0; i < n; i++)
    {
      gen_message (g);
      if (i + 1 < n)
        put_char (w, ',');
      put_char (w, '\n');
    }
  PUT (w, "      ]\n"
          "    }\n"
          "  }");
}

/* target bytes, or exactly n_entries when that is not 0. */
static gboolean
write_search_json (const char    *path,
                   guint64        target,
                   guint64        n_entries,
                   guint32        seed,
                   guint64       *total,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_auto(DemoWriter) w = DEMO_WRITER_INIT;
  DemoRng rng;
  Gen g = { &w, &rng, TRUE, &topics[0] };

  if (!demo_writer_open (&w, path, cancellable, error))
    return FALSE;

  rng_init (&rng, seed, STREAM_RAG);

  PUT (&w, "{\n");
  for (guint64 i = 0; w.error == NULL; i++)
    {
      if (i > 0)
        PUT (&w, ",\n");
      gen_entry (&g, i + 1);

      /* Stop at the first entry that reaches the target, counting the
       * closing brace. */
      if (n_entries > 0 ? i + 1 >= n_entries
                        : i + 1 >= MIN_RAG_ENTRIES && demo_writer_size (&w) + 2 >= target)
        break;
    }
  PUT (&w, "\n}");

  return demo_writer_commit (&w, total, error);
}

/* ------------------------------------------------------------------------ */
/* The rest of the tree. */

static gboolean
write_random_file (const char    *path,
                   guint64        size,
                   guint32        seed,
                   guint64       *total,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_auto(DemoWriter) w = DEMO_WRITER_INIT;
  DemoRng rng;

  if (!demo_writer_open (&w, path, cancellable, error))
    return FALSE;

  rng_init (&rng, seed, STREAM_EMBEDDINGS);
  put_random (&w, &rng, size);

  return demo_writer_commit (&w, total, error);
}

static gboolean
write_small_file (const char    *path,
                  const char    *contents,
                  gsize          len,
                  guint64       *total,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_auto(DemoWriter) w = DEMO_WRITER_INIT;

  if (!demo_writer_open (&w, path, cancellable, error))
    return FALSE;

  put (&w, contents, len);

  return demo_writer_commit (&w, total, error);
}

typedef struct
{
  const char *display;
  const char *ascii;
} Name;

static const Name first_names[] = {
  { "Camille", "camille" }, { "Léa", "lea" }, { "Chloé", "chloe" },
  { "Hélène", "helene" }, { "François", "francois" }, { "Jérôme", "jerome" },
  { "Noémie", "noemie" }, { "Thomas", "thomas" }, { "Inès", "ines" },
  { "Maël", "mael" }, { "Zoé", "zoe" }, { "Benoît", "benoit" },
};

static const Name last_names[] = {
  { "Lefèvre", "lefevre" }, { "Dubois", "dubois" }, { "Mercier", "mercier" },
  { "Moreau", "moreau" }, { "Girard", "girard" }, { "Bérard", "berard" },
  { "Faure", "faure" }, { "Rousseau", "rousseau" }, { "Lemaître", "lemaitre" },
  { "Gauthier", "gauthier" }, { "Caron", "caron" }, { "Perrin", "perrin" },
};

static const char *const model_names[] = {
  "mistral-7b-instruct-v0.3", "llama3.1:8b-instruct-q4_K_M",
  "qwen2.5:7b-instruct", "mixtral-8x7b-instruct",
};

static char *
build_system_json (guint32  seed,
                   gsize   *len)
{
  GString *s = g_string_new (NULL);
  DemoRng rng;
  guint32 instance;
  const char *model;
  guint temperature, max_tokens, top_k;
  gboolean open_questions;

  /* One draw per statement: the order in which function arguments are
   * evaluated is unspecified, and the output must not depend on it. */
  rng_init (&rng, seed, STREAM_SYSTEM);
  instance = (guint32) rng_next (&rng);
  model = model_names[rng_below (&rng, G_N_ELEMENTS (model_names))];
  temperature = rng_range (&rng, 1, 7);
  max_tokens = 512u << rng_below (&rng, 3);
  top_k = rng_range (&rng, 3, 8);
  open_questions = rng_chance (&rng, 50);

  /* Integers only: printf of a double would follow the user's locale. */
  g_string_append_printf (s,
    "{\n"
    "  \"instance\": \"osi-demo-%08x\",\n"
    "  \"language\": \"fr-FR\",\n"
    "  \"timezone\": \"Europe/Paris\",\n"
    "  \"model\": {\n"
    "    \"name\": \"%s\",\n"
    "    \"provider\": \"ollama\",\n"
    "    \"endpoint\": \"http://127.0.0.1:11434\",\n"
    "    \"temperature\": 0.%u,\n"
    "    \"top_p\": 0.9,\n"
    "    \"max_tokens\": %u\n"
    "  },\n"
    "  \"rag\": {\n"
    "    \"knowledge_base\": \"rag/search.json\",\n"
    "    \"embeddings\": \"data/embeddings.bin\",\n"
    "    \"dimension\": 384,\n"
    "    \"top_k\": %u,\n"
    "    \"min_score\": 0.35\n"
    "  },\n"
    "  \"prompts\": {\n"
    "    \"system\": \"Tu es l’assistant virtuel de l’université. Réponds en français, "
    "poliment et brièvement, en t’appuyant uniquement sur la base de connaissances.\",\n"
    "    \"fallback\": \"Je n’ai pas trouvé de réponse précise à votre question. "
    "Souhaitez-vous contacter le service \\\"Scolarité\\\"" NNBSP "?\",\n"
    "    \"welcome\": \"Bonjour" NNBSP "! Je suis l’assistant de l’université. "
    "Posez-moi vos questions sur les inscriptions, les bourses, la bibliothèque, "
    "la restauration ou le logement…\"\n"
    "  },\n"
    "  \"features\": {\n"
    "    \"feedback\": true,\n"
    "    \"open_questions\": %s\n"
    "  }\n"
    "}\n",
    instance, model, temperature, max_tokens, top_k,
    open_questions ? "true" : "false");

  *len = s->len;
  return g_string_free (s, FALSE);
}

static char *
build_users_json (guint32  seed,
                  gsize   *len)
{
  static const char *const roles[] = { "editor", "viewer", "editor", "viewer", "operator" };
  GString *s = g_string_new ("[\n");
  DemoRng rng;
  guint n;
  guint first;

  rng_init (&rng, seed, STREAM_USERS);
  n = rng_range (&rng, 4, 8);
  first = rng_below (&rng, G_N_ELEMENTS (first_names));

  for (guint i = 0; i < n; i++)
    {
      /* Consecutive first names, so usernames are unique. */
      const Name *fn = &first_names[(first + i) % G_N_ELEMENTS (first_names)];
      const Name *ln = &last_names[rng_below (&rng, G_N_ELEMENTS (last_names))];
      const char *role = roles[rng_below (&rng, G_N_ELEMENTS (roles))];
      gboolean active = rng_chance (&rng, 85);
      guint year = rng_range (&rng, 2022, 2025);
      guint month = rng_range (&rng, 1, 12);
      guint day = rng_range (&rng, 1, 28);
      guint hour = rng_range (&rng, 7, 19);
      guint minute = rng_below (&rng, 60);

      g_string_append_printf (s,
        "  {\n"
        "    \"id\": %u,\n"
        "    \"username\": \"%s.%s\",\n"
        "    \"display_name\": \"%s %s\",\n"
        "    \"email\": \"%s.%s@univ-exemple.fr\",\n"
        "    \"role\": \"%s\",\n"
        "    \"active\": %s,\n"
        "    \"created\": \"%u-%02u-%02uT%02u:%02u:00Z\"\n"
        "  }%s\n",
        i + 1,
        fn->ascii, ln->ascii,
        fn->display, ln->display,
        fn->ascii, ln->ascii,
        i == 0 ? "admin" : role,
        i == 0 || active ? "true" : "false",
        year, month, day, hour, minute,
        i + 1 < n ? "," : "");
    }
  g_string_append (s, "]\n");

  *len = s->len;
  return g_string_free (s, FALSE);
}

static const char prompts_yaml[] =
  "# Invites du modèle de langage de l’assistant OSI.\n"
  "# Les variables entre accolades sont remplacées à l’exécution.\n"
  "version: 3\n"
  "language: fr\n"
  "system: |\n"
  "  Tu es l’assistant virtuel de l’université. Tu réponds en français,\n"
  "  avec courtoisie et concision, en t’appuyant uniquement sur les extraits\n"
  "  de la base de connaissances fournis ci-dessous.\n"
  "  Si la réponse n’y figure pas, oriente l’étudiant vers le service compétent\n"
  "  (scolarité, bourses, bibliothèque, restauration, logement…).\n"
  "rephrase: |\n"
  "  Reformule la question suivante pour la recherche documentaire, sans en\n"
  "  changer le sens ni ajouter d’information : {question}\n"
  "context: |\n"
  "  Extraits pertinents :\n"
  "  {passages}\n"
  "fallback: \"Je n’ai pas trouvé de réponse précise. Voulez-vous être mis en relation avec un conseiller" NNBSP "?\"\n"
  "greetings:\n"
  "  - \"Bonjour" NNBSP "! Comment puis-je vous aider" NNBSP "?\"\n"
  "  - \"Bienvenue sur l’assistant de l’université.\"\n"
  "  - \"Bonsoir, que puis-je faire pour vous" NNBSP "?\"\n"
  "closing: \"Bonne journée et bon courage pour vos études" NNBSP "!\"\n";

static const char env_example[] =
  "# Copiez ce fichier en .env puis renseignez vos propres valeurs.\n"
  "# Ne versionnez jamais le fichier .env.\n"
  "OSI_HOST=127.0.0.1\n"
  "OSI_PORT=8080\n"
  "OSI_DATA_DIR=/var/lib/osi\n"
  "OSI_LOG_LEVEL=info\n"
  "OLLAMA_URL=http://127.0.0.1:11434\n"
  "OSI_ADMIN_TOKEN=a-remplacer\n"
  "SMTP_HOST=smtp.univ-exemple.fr\n"
  "SMTP_FROM=\"Assistant OSI <ne-pas-repondre@univ-exemple.fr>\"\n";

static void
fill_reglement (Gen *g)
{
  DemoWriter *w = g->w;
  guint articles;

  PUT (w, "# Règlement intérieur\n\n*Version du ");
  gen_date (g);
  PUT (w, ", adoptée par le conseil d’administration.*\n");

  articles = rng_range (g->rng, 6, 10);
  for (guint i = 0; i < articles; i++)
    {
      g->topic = PICK (g->rng, topics);
      PUT (w, "\n## Article ");
      put_uint (w, i + 1, 0);
      PUT (w, " — ");
      put_tok (g, &g->topic->label);
      PUT (w, "\n\n");
      gen_sentences (g, rng_range (g->rng, 2, 5));
      PUT (w, "\n\n");
      for (guint j = rng_range (g->rng, 2, 4); j > 0; j--)
        {
          PUT (w, "- ");
          gen_sentence (g);
          put_char (w, '\n');
        }
    }
}

static void
fill_faq (Gen *g)
{
  DemoWriter *w = g->w;

  g->topic = &topics[2];
  PUT (w, "# Foire aux questions — bourses et aides\n");
  for (guint i = rng_range (g->rng, 5, 9); i > 0; i--)
    {
      PUT (w, "\n### ");
      gen_question (g);
      PUT (w, "\n\n");
      gen_sentences (g, rng_range (g->rng, 2, 4));
      put_char (w, '\n');
    }
}

static void
fill_guide (Gen *g)
{
  DemoWriter *w = g->w;

  PUT (w, "GUIDE DE RENTRÉE\n================\n\n");
  for (guint i = 0; i < G_N_ELEMENTS (topics); i += rng_range (g->rng, 1, 3))
    {
      g->topic = &topics[i];
      put_tok (g, &g->topic->label);
      PUT (w, "\n\n");
      gen_sentences (g, rng_range (g->rng, 2, 4));
      PUT (w, "\n\n");
    }
}

/* Runs a text generator into memory: documents are a few kilobytes, far
 * from CHUNK_SIZE, so the writer never flushes and needs no file. */
static char *
build_text (guint32   seed,
            guint32   stream,
            void    (*fill) (Gen *g),
            gsize    *len)
{
  g_auto(DemoWriter) w = DEMO_WRITER_INIT;
  DemoRng rng;
  Gen g = { &w, &rng, FALSE, &topics[0] };

  w.buf = g_malloc (CHUNK_SIZE);
  rng_init (&rng, seed, stream);
  fill (&g);
  g_assert (w.flushed == 0 && w.error == NULL && w.len > 0);

  *len = w.len;
  return g_memdup2 (w.buf, w.len);
}

static gboolean
make_dir (const char  *path,
          GError     **error)
{
  if (g_mkdir_with_parents (path, 0755) != 0)
    {
      int errsv = errno;
      g_autofree char *display = g_filename_display_name (path);

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Cannot create the folder “%s”: %s"),
                   display, g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
}

gboolean
osi_demo_data_generate (const char    *dir,
                        guint64        size_bytes,
                        guint32        seed,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_autofree char *rag_dir = NULL;
  g_autofree char *config_dir = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *docs_dir = NULL;
  g_autofree char *uploads_dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;
  guint64 total = 0;

  g_return_val_if_fail (dir != NULL && *dir != '\0', FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  rag_dir = g_build_filename (dir, "rag", NULL);
  config_dir = g_build_filename (dir, "config", NULL);
  data_dir = g_build_filename (dir, "data", NULL);
  docs_dir = g_build_filename (data_dir, "documents", NULL);
  uploads_dir = g_build_filename (data_dir, "uploads", NULL);

  if (!make_dir (rag_dir, error) ||
      !make_dir (config_dir, error) ||
      !make_dir (docs_dir, error) ||
      !make_dir (uploads_dir, error))
    return FALSE;

#define WRITE_BUILT(folder, name, builder)                                    \
  G_STMT_START {                                                              \
    g_free (path);                                                            \
    g_free (contents);                                                        \
    path = g_build_filename ((folder), (name), NULL);                         \
    contents = builder (seed, &len);                                          \
    if (!write_small_file (path, contents, len, &total, cancellable, error))  \
      return FALSE;                                                           \
  } G_STMT_END

#define WRITE_TEXT(folder, name, stream, fill)                                \
  G_STMT_START {                                                              \
    g_free (path);                                                            \
    g_free (contents);                                                        \
    path = g_build_filename ((folder), (name), NULL);                         \
    contents = build_text (seed, (stream), (fill), &len);                     \
    if (!write_small_file (path, contents, len, &total, cancellable, error))  \
      return FALSE;                                                           \
  } G_STMT_END

#define WRITE_STATIC(folder, name, text)                                      \
  G_STMT_START {                                                              \
    g_free (path);                                                            \
    path = g_build_filename ((folder), (name), NULL);                         \
    if (!write_small_file (path, (text), sizeof (text) - 1, &total,           \
                           cancellable, error))                               \
      return FALSE;                                                           \
  } G_STMT_END

  WRITE_BUILT (config_dir, "system.json", build_system_json);
  WRITE_BUILT (config_dir, "users.json", build_users_json);
  WRITE_STATIC (config_dir, "prompts.yaml", prompts_yaml);
  /* Hidden on purpose: backups must not skip dot files. */
  WRITE_STATIC (config_dir, ".env.example", env_example);

  /* A space and accents in a name, and an empty file, are the cases that
   * archivers and path sanitisers most often get wrong. */
  WRITE_TEXT (docs_dir, "Règlement intérieur.md", STREAM_REGLEMENT, fill_reglement);
  WRITE_TEXT (docs_dir, "faq-bourses.md", STREAM_FAQ, fill_faq);
  WRITE_TEXT (docs_dir, "guide-de-rentree.txt", STREAM_GUIDE, fill_guide);
  WRITE_STATIC (docs_dir, "brouillon.txt", "");

#undef WRITE_BUILT
#undef WRITE_TEXT
#undef WRITE_STATIC

  g_free (path);
  path = g_build_filename (rag_dir, "search.json", NULL);
  if (!write_search_json (path, size_bytes / 2, 0, seed, &total, cancellable, error))
    return FALSE;

  /* The embeddings take whatever is left, so the tree adds up to
   * size_bytes exactly unless the minimum content already exceeds it. */
  g_free (path);
  path = g_build_filename (data_dir, "embeddings.bin", NULL);
  if (!write_random_file (path, size_bytes > total ? size_bytes - total : 0,
                          seed, &total, cancellable, error))
    return FALSE;

  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Demo backups. Archiving is what costs time, so only a few distinct
 * contents are archived and every backup is a copy of one of them. */

#define KIB (G_GUINT64_CONSTANT (1024))
#define DAY_S (24 * 60 * 60)
#define HOUR_S (60 * 60)

/* Oldest first: a knowledge base grows over the months, and so do its
 * backups. */
static const guint64 backup_content_sizes[] = {
  96 * KIB, 176 * KIB, 288 * KIB, 448 * KIB,
};

/* The time before `later`, in seconds since the epoch, of the previous
 * backup: mostly days apart, at varied times of day, with now and then a
 * second backup the same day, as an administrator makes before a risky
 * change. Always at least an hour earlier, so names never collide. */
static gint64
previous_backup_time (DemoRng *rng,
                      gint64   later)
{
  guint32 kind = rng_below (rng, 100);
  gint64 day;
  guint32 n_days;
  guint32 hour;

  if (kind < 20)
    return later - rng_range (rng, HOUR_S, 11 * HOUR_S) - rng_below (rng, HOUR_S);

  if (kind < 35)
    n_days = rng_range (rng, 1, 2);
  else if (kind < 75)
    n_days = rng_range (rng, 3, 5);
  else
    n_days = rng_range (rng, 6, 9);

  /* Office hours mostly (UTC, so a little earlier than in France), and
   * some nightly runs. */
  if (rng_chance (rng, 75))
    hour = rng_range (rng, 6, 17);
  else
    hour = rng_range (rng, 0, 4);

  day = later - (later % DAY_S + DAY_S) % DAY_S;
  return day - (gint64) n_days * DAY_S + (gint64) hour * HOUR_S + rng_below (rng, HOUR_S);
}

static gboolean
write_backup_copy (const char    *backup_dir,
                   const char    *name,
                   GBytes        *contents,
                   gint64         time,
                   GError       **error)
{
  /* The server's own temporary names, which it removes at start should a
   * crash leave one behind. */
  g_autofree char *tmp_path = g_strdup_printf ("%s/.%s.XXXXXX.part", backup_dir, name);
  g_autofree char *path = g_build_filename (backup_dir, name, NULL);
  struct timespec times[2] = { { time, 0 }, { time, 0 } };
  gsize left = 0;
  const guint8 *p = g_bytes_get_data (contents, &left);
  int errsv = 0;
  int fd;

  /* 0600 as osi_archive_create makes them: a backup holds configuration
   * secrets, even a demo one shows how real ones are kept. */
  fd = g_mkstemp_full (tmp_path, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      g_autofree char *display = NULL;

      errsv = errno;
      display = g_filename_display_name (path);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Cannot create a temporary file for “%s”: %s"),
                   display, g_strerror (errsv));
      return FALSE;
    }

  while (left > 0 && errsv == 0)
    {
      gssize n = write (fd, p, left);

      if (n < 0 && errno != EINTR)
        errsv = errno;
      else if (n > 0)
        {
          p += n;
          left -= (gsize) n;
        }
    }

  /* The server dates backups by their mtime. Set on the descriptor, before
   * the rename, so the final name never shows the wrong date. No fsync: a
   * demo folder is regenerated whenever it is found incomplete. */
  if (errsv == 0 && futimens (fd, times) != 0)
    errsv = errno;
  if (close (fd) != 0 && errno != EINTR && errsv == 0)
    errsv = errno;
  if (errsv == 0 && g_rename (tmp_path, path) != 0)
    errsv = errno;

  if (errsv != 0)
    {
      g_autofree char *display = g_filename_display_name (path);

      g_unlink (tmp_path);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Cannot write “%s”: %s"), display, g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
}

/* Generates and archives the distinct contents in work_dir; returns the
 * archives' bytes, smallest content first. */
static GPtrArray *
make_backup_contents (const char    *work_dir,
                      guint          n_contents,
                      guint32        seed,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autoptr(GPtrArray) contents = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  DemoRng rng;

  g_assert (n_contents <= G_N_ELEMENTS (backup_content_sizes));

  rng_init (&rng, seed, STREAM_BACKUP_CONTENTS);
  for (guint i = 0; i < n_contents; i++)
    {
      g_autofree char *name = g_strdup_printf ("content-%u", i);
      g_autofree char *data_dir = g_build_filename (work_dir, name, NULL);
      g_autofree char *archive = g_strconcat (data_dir, ".tar.zst", NULL);
      g_autofree char *bytes = NULL;
      gsize len = 0;

      /* Each content has its own seed, so the knowledge base differs from
       * one to the next and the diff view has something to show. */
      if (!osi_demo_data_generate (data_dir, backup_content_sizes[i], (guint32) rng_next (&rng),
                                   cancellable, error) ||
          !osi_archive_create (data_dir, archive, OSI_COMPRESSION_ZSTD, 0, NULL, NULL, NULL,
                               cancellable, error) ||
          !g_file_get_contents (archive, &bytes, &len, error))
        return NULL;

      g_ptr_array_add (contents, g_bytes_new_take (g_steal_pointer (&bytes), len));
    }

  return g_steal_pointer (&contents);
}

gboolean
osi_demo_backups_populate (const char    *backup_dir,
                           guint          count,
                           GDateTime     *newest,
                           guint32        seed,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_autoptr(GPtrArray) contents = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *work_dir = NULL;
  guint n_contents;
  gint64 time;
  DemoRng rng;
  gboolean ok = TRUE;

  g_return_val_if_fail (backup_dir != NULL && *backup_dir != '\0', FALSE);
  g_return_val_if_fail (newest != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!make_dir (backup_dir, error))
    return FALSE;
  if (count == 0)
    return TRUE;

  /* In the temporary folder rather than beside backup_dir: the system
   * cleans it should we crash, and nothing there can pass for a backup. */
  work_dir = g_dir_make_tmp ("osi-demo-backups-XXXXXX", error);
  if (work_dir == NULL)
    return FALSE;

  n_contents = MIN (count, G_N_ELEMENTS (backup_content_sizes));
  contents = make_backup_contents (work_dir, n_contents, seed, cancellable, &local_error);
  if (contents == NULL)
    ok = FALSE;

  /* Newest first, walking back in time. */
  rng_init (&rng, seed, STREAM_BACKUP_DATES);
  time = g_date_time_to_unix (newest);
  for (guint i = 0; ok && i < count; i++)
    {
      g_autoptr(GDateTime) date = NULL;
      g_autofree char *name = NULL;
      /* The newest backups hold the largest content. */
      guint content = n_contents - 1 - (guint) ((guint64) i * n_contents / count);

      if (i > 0)
        time = previous_backup_time (&rng, time);

      date = g_date_time_new_from_unix_utc (time);
      name = osi_archive_default_name (date, OSI_COMPRESSION_ZSTD);
      ok = !g_cancellable_set_error_if_cancelled (cancellable, &local_error) &&
           write_backup_copy (backup_dir, name, g_ptr_array_index (contents, content), time,
                              &local_error);
    }

  /* A failure to clean up a temporary folder is not worth failing for. */
  osi_remove_tree (work_dir, NULL);

  if (!ok)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

gboolean
osi_demo_data_write_knowledge_base (const char    *path,
                                    guint          n_entries,
                                    guint32        seed,
                                    GCancellable  *cancellable,
                                    GError       **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (n_entries > 0, FALSE);
  g_return_val_if_fail (!error || !*error, FALSE);

  return write_search_json (path, 0, n_entries, seed, NULL, cancellable, error);
}
