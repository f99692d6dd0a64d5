/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <string.h>

#include "osi-demo-data-private.h"

/* ------------------------------------------------------------------------ */
/* Vocabulary. Tokens never contain a double quote, a backslash or a control
 * character, so they are already valid JSON string content and the hot loop
 * is a memcpy; quotes and line breaks are emitted by the generator, which
 * knows whether it is writing JSON or plain text. No token usable at the
 * start of a sentence begins with a lowercase accented letter, so
 * capitalising is an ASCII operation. */

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

/* ------------------------------------------------------------------------ */
/* Text generator. */

void
_osi_demo_put_tok_cap (Gen       *g,
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
      _osi_demo_put_uint (g->w, rng_range (g->rng, 1, 4) * 100 + rng_below (g->rng, 60), 0);
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
    _osi_demo_put_tok_cap (g, det);
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
      _osi_demo_put_uint (g->w, rng_range (g->rng, 2024, 2026), 0);
      put_char (g->w, '-');
      _osi_demo_put_uint (g->w, rng_below (g->rng, 100000), 5);
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
gen_clause (Gen      *g,
            gboolean  capital)
{
  if (capital)
    _osi_demo_put_tok_cap (g, PICK (g->rng, subjects));
  else
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
    _osi_demo_put_uint (g->w, day, 0);
  put_char (g->w, ' ');
  put_tok (g, &months[month]);
  put_char (g->w, ' ');
  _osi_demo_put_uint (g->w, year, 0);
}

void
_osi_demo_gen_date (Gen *g)
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
  _osi_demo_put_uint (g->w, rng_range (g->rng, lo, hi), 0);
  PUT (g->w, NBSP "h");
  if (rng_chance (g->rng, 50))
    {
      PUT (g->w, NBSP);
      _osi_demo_put_uint (g->w, 15 * rng_below (g->rng, 4), 2);
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
      _osi_demo_put_uint (g->w, rng_below (g->rng, 100), 2);
    }
}

void
_osi_demo_gen_email (Gen *g)
{
  put_tok (g, &g->topic->mailbox);
  PUT (g->w, "@univ-exemple.fr");
}

static void
gen_amount (Gen *g)
{
  _osi_demo_put_uint (g->w, rng_range (g->rng, 1, 950), 0);
  if (rng_chance (g->rng, 40))
    {
      put_char (g->w, ',');
      _osi_demo_put_uint (g->w, rng_below (g->rng, 100), 2);
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
      _osi_demo_gen_date (g);
      break;
    case 1:
      PUT (g->w, " dans un délai de ");
      _osi_demo_put_uint (g->w, rng_range (g->rng, 2, 30), 0);
      PUT (g->w, " jours");
      break;
    case 2:
      PUT (g->w, " au plus tard ");
      _osi_demo_put_uint (g->w, rng_range (g->rng, 2, 8), 0);
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

/* "Pour déposer votre dossier": what the reader wants to do. */
static void
gen_purpose (Gen *g)
{
  put_tok (g, PICK (g->rng, openers));
  put_char (g->w, ' ');
  put_tok (g, PICK (g->rng, verbs));
  put_char (g->w, ' ');
  gen_noun (g);
}

void
_osi_demo_gen_sentence (Gen *g)
{
  DemoWriter *w = g->w;
  DemoRng *r = g->rng;

  switch (rng_below (r, 56))
    {
    case 0:
    case 1:
      gen_purpose (g);
      PUT (w, ", rendez-vous sur ");
      put_tok (g, PICK (r, online));
      if (rng_chance (r, 50))
        gen_rubric (g);
      put_char (w, '.');
      break;
    case 2:
    case 3:
      gen_purpose (g);
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
          gen_clause (g, FALSE);
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
      gen_clause (g, FALSE);
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
      _osi_demo_put_tok_cap (g, PICK (r, infos));
      put_char (w, '.');
      break;
    case 11:
    case 12:
      gen_clause (g, TRUE);
      gen_when (g);
      put_char (w, '.');
      break;
    case 13:
      _osi_demo_put_tok_cap (g, PICK (r, places));
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
      _osi_demo_gen_email (g);
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

void
_osi_demo_gen_sentences (Gen   *g,
                         guint  n)
{
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        put_char (g->w, ' ');
      _osi_demo_gen_sentence (g);
    }
}

void
_osi_demo_gen_question (Gen *g)
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

void
_osi_demo_gen_bubble_text (Gen *g)
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
      _osi_demo_gen_sentences (g, rng_range (g->rng, 2, 5));
    }
  if (rng_chance (g->rng, 30))
    {
      put_char (g->w, ' ');
      put_tok (g, PICK (g->rng, closings));
    }
}
