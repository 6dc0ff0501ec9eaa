/**
 * Every user-facing string of the web application, in French (the default) and English. The English
 * dictionary is typed by the French one: a missing or extra key is a compile error. `{name}` marks a
 * parameter. The core strings are below; each area of screens keeps its own in `i18n/<area>.ts`
 * (`defineMessages(fr, en)`), spread into `fr` and `en` at the end of this file.
 */
import { createContext, useContext } from 'react'
import { adminMessages } from './i18n/admin.js'
import { physicalMessages } from './i18n/physical.js'
import { lifecycleMessages } from './i18n/lifecycle.js'
import { refMessages } from './i18n/ref.js'

const coreFr = {
  'app.name': 'SAEH',
  'app.tagline': 'Système d’archivage électronique hybride',
  'app.skip': 'Aller au contenu',
  'app.language': 'Langue',
  'app.loading': 'Chargement…',
  'app.none': '—',
  'app.yes': 'oui',
  'app.no': 'non',

  'nav.label': 'Navigation principale',
  'nav.home': 'Accueil',
  'nav.transfers': 'Versements',
  'nav.search': 'Recherche',
  'nav.logbook': 'Journal',
  'nav.admin': 'Administration',
  'nav.tenants': 'Services d’archives',
  'nav.users': 'Utilisateurs et rôles',
  'nav.apikeys': 'Clés d’API',
  'nav.referentials': 'Référentiels',

  'session.tenant': 'Service d’archives',
  'session.signedInAs': 'Connecté : {name}',
  'session.logout': 'Se déconnecter',
  'session.expired': 'Votre session a expiré ou a été fermée : reconnectez-vous pour continuer.',
  'session.loggedOut': 'Vous êtes déconnecté.',
  'session.noTenant':
    'Aucun service d’archives ne vous est ouvert : demandez un accès à votre administrateur.',

  'login.title': 'Connexion',
  'login.username': 'Nom d’utilisateur',
  'login.password': 'Mot de passe',
  'login.submit': 'Se connecter',
  'login.busy': 'Connexion…',

  'error.title': 'Un problème est survenu',
  'error.network': 'Le serveur SAEH ne répond pas. Vérifiez votre connexion puis réessayez.',
  'error.forbidden': 'Action non autorisée pour votre rôle dans ce service d’archives.',
  'error.server':
    'Erreur du serveur : l’opération n’a pas abouti. Réessayez plus tard ; si cela persiste, prévenez l’administrateur.',
  'error.notFound': 'Introuvable : cet élément n’existe pas ou n’appartient pas à ce service d’archives.',
  'error.code': 'Code : {code}',
  'error.render': 'Cette page n’a pas pu s’afficher. Revenez à l’accueil et réessayez.',
  'error.backHome': 'Retour à l’accueil',
  'error.denied.title': 'Accès refusé',
  'error.denied.text': 'Votre rôle ne donne pas accès à cette page dans ce service d’archives.',
  'error.pageNotFound': 'Cette page n’existe pas.',

  'home.title': 'Accueil',
  'home.welcome': 'Bonjour {name} — service d’archives : {tenant}.',
  'home.recent': 'Versements récents',
  'home.noTransfers': 'Aucun versement pour le moment.',
  'home.storage': 'Stockage',
  'home.bytes': 'Volume versé (entrées acceptées)',
  'home.units': 'Unités d’archives',
  'home.transfersOk': 'Entrées acceptées',
  'home.transfersKo': 'Entrées refusées',
  'home.newTransfer': 'Nouveau versement',

  'status.OK': 'Accepté',
  'status.KO': 'Refusé',
  'status.WARNING': 'Accepté avec avertissement',
  'status.FATAL': 'Erreur technique',
  'status.PENDING': 'En attente',
  'status.RUNNING': 'En cours',

  'transfers.title': 'Versements',
  'transfers.upload': 'Verser un paquet SEDA',
  'transfers.file': 'Paquet (zip, tar ou tar.gz)',
  'transfers.fileHelp': 'Le paquet contient le bordereau manifest.xml et les fichiers qu’il décrit.',
  'transfers.submit': 'Envoyer',
  'transfers.cancel': 'Annuler l’envoi',
  'transfers.progress': 'Envoi : {percent} % ({sent} sur {total})',
  'transfers.sent': 'Paquet reçu : contrôle en cours…',
  'transfers.badType':
    'Type de fichier non accepté : « {name} ». Choisissez un paquet SEDA compressé en .zip, .tar ou .tar.gz.',
  'transfers.noFile': 'Choisissez d’abord le fichier du paquet.',
  'transfers.aborted': 'Envoi annulé : rien n’a été versé. Vous pouvez recommencer.',
  'transfers.list': 'Derniers versements',
  'transfers.col.date': 'Date',
  'transfers.col.file': 'Fichier',
  'transfers.col.status': 'Statut',
  'transfers.col.units': 'Unités',
  'transfers.col.size': 'Taille',

  'op.title': 'Versement {id}',
  'op.titleGeneric': 'Opération {id}',
  'op.status': 'Statut',
  'op.type': 'Type',
  'op.created': 'Créée le',
  'op.updated': 'Mise à jour le',
  'op.waiting': 'Le paquet est en cours de contrôle ; cette page se met à jour toute seule.',
  'op.ok':
    'Versement accepté : {units} unité(s), {objects} objet(s) numérique(s), {physical} objet(s) physique(s), {bytes}.',
  'op.ko':
    'Versement refusé : rien n’a été conservé. Corrigez les points ci-dessous puis versez de nouveau le paquet.',
  'op.fatal':
    'Le versement a échoué pour une raison technique. Versez de nouveau le paquet ; si cela persiste, prévenez l’administrateur.',
  'op.problems': 'Ce qu’il faut corriger',
  'op.steps': 'Étapes du contrôle',
  'op.col.step': 'Étape',
  'op.col.outcome': 'Résultat',
  'op.col.message': 'Message',
  'op.col.object': 'Élément',
  'op.atr': 'Télécharger l’accusé de réception (ATR)',
  'op.units': 'Voir les unités versées',
  'op.fix': 'À faire : {hint}',

  'hint.CHECK_CONTAINER':
    'le fichier n’est pas un paquet lisible : recréez l’archive zip, tar ou tar.gz avec le bordereau manifest.xml à la racine.',
  'hint.CHECK_SEDA':
    'le bordereau n’est pas conforme au schéma SEDA : corrigez l’élément signalé dans manifest.xml.',
  'hint.CHECK_HEADER.CHECK_AGENT':
    'le service nommé est inconnu : faites-le ajouter au référentiel des services agents, ou corrigez son identifiant dans le bordereau.',
  'hint.CHECK_HEADER.CHECK_CONTRACT_INGEST':
    'le contrat d’entrée est inconnu ou inactif : vérifiez ArchivalAgreement dans le bordereau ou le référentiel des contrats.',
  'hint.CHECK_HEADER': 'corrigez l’en-tête du bordereau (services, contrat, profil).',
  'hint.CHECK_DATAOBJECTPACKAGE':
    'les références du bordereau ne correspondent pas aux fichiers : vérifiez les Uri et les identifiants des objets.',
  'hint.CHECK_DIGEST':
    'le fichier nommé ne correspond pas à son empreinte déclarée : renvoyez le bon fichier ou recalculez l’empreinte SHA-512 dans le bordereau.',
  'hint.OG_OBJECTS_FORMAT_CHECK':
    'le format du fichier nommé n’est pas accepté : convertissez-le (par exemple en PDF/A) ou demandez l’évolution du contrat d’entrée.',
  'hint.UNITS_RULES_COMPUTE':
    'une règle de gestion est inconnue ou mal formée : corrigez son identifiant ou faites-la ajouter au référentiel des règles.',
  'hint.default': 'lisez le message ci-contre et corrigez le paquet en conséquence.',

  'search.title': 'Recherche',
  'search.query': 'Rechercher dans les titres',
  'search.submit': 'Rechercher',
  'search.results': '{total} résultat(s)',
  'search.none': 'Aucune unité d’archives ne correspond.',
  'search.col.title': 'Titre',
  'search.col.level': 'Niveau',
  'search.col.dates': 'Dates',
  'search.col.objects': 'Objets',
  'search.prev': 'Page précédente',
  'search.next': 'Page suivante',
  'search.page': 'Page {page} sur {pages}',

  'unit.metadata': 'Description',
  'unit.level': 'Niveau de description',
  'unit.dates': 'Dates extrêmes',
  'unit.originating': 'Service producteur',
  'unit.submission': 'Service versant',
  'unit.operation': 'Versement',
  'unit.parent': 'Unité parente',
  'unit.children': 'Unités contenues',
  'unit.content': 'Métadonnées descriptives (SEDA)',
  'unit.rules': 'Règles de gestion',
  'unit.noRules': 'Aucune règle de gestion ne s’applique à cette unité.',
  'unit.rule.category': 'Catégorie',
  'unit.rule.id': 'Règle',
  'unit.rule.start': 'Début',
  'unit.rule.end': 'Échéance',
  'unit.rule.final': 'Sort final',
  'unit.rule.origin': 'Origine',
  'unit.rule.own': 'Déclarée sur cette unité',
  'unit.rule.inherited': 'Héritée de l’unité {id}',
  'unit.objects': 'Objets numériques',
  'unit.noObjects': 'Aucun objet numérique.',
  'unit.physical': 'Objets physiques',
  'unit.noPhysical': 'Aucun objet physique.',
  'unit.obj.file': 'Fichier',
  'unit.obj.format': 'Format',
  'unit.obj.size': 'Taille',
  'unit.obj.usage': 'Usage',
  'unit.obj.digest': 'Empreinte',
  'unit.obj.physicalId': 'Cote / identifiant physique',
  'unit.preview': 'Aperçu',
  'unit.previewOf': 'Aperçu de {name}',
  'unit.closePreview': 'Fermer l’aperçu',
  'unit.download': 'Télécharger',
  'unit.noPreview': 'Pas d’aperçu pour ce format : téléchargez le fichier.',

  'rule.AppraisalRule': 'Durée d’utilité administrative',
  'rule.AccessRule': 'Communicabilité',
  'rule.StorageRule': 'Durée d’utilité courante',
  'rule.DisseminationRule': 'Diffusion',
  'rule.ReuseRule': 'Réutilisation',
  'rule.ClassificationRule': 'Classification',
  'rule.HoldRule': 'Gel',
  'final.Keep': 'Conservation définitive',
  'final.Destroy': 'Élimination',
  'final.RestrictAccess': 'Accès restreint',
  'final.Transfer': 'Transfert',
  'final.Copy': 'Copie',

  'logbook.title': 'Journal des opérations',
  'logbook.type': 'Type d’opération',
  'logbook.allTypes': 'Tous les types',
  'logbook.filter': 'Filtrer',
  'logbook.col.date': 'Date',
  'logbook.col.type': 'Type',
  'logbook.col.status': 'Statut',
  'logbook.col.id': 'Opération',
  'logbook.none': 'Aucune opération.',
  'logbook.events': 'Événements',

  'tenants.title': 'Services d’archives',
  'tenants.col.id': 'Identifiant',
  'tenants.col.name': 'Nom',
  'tenants.col.controlledBy': 'Contrôlé par',
  'tenants.col.created': 'Créé le',
  'tenants.create': 'Créer un service d’archives',
  'tenants.id': 'Identifiant (lettres minuscules, chiffres, tirets)',
  'tenants.name': 'Nom',
  'tenants.controlledBy': 'Service de contrôle (archives départementales)',
  'tenants.noControl': 'Aucun',
  'tenants.submit': 'Créer',
  'tenants.created': 'Service « {name} » créé. Importez maintenant ses référentiels.',

  'users.title': 'Utilisateurs et rôles',
  'users.create': 'Créer un utilisateur dans {tenant}',
  'users.username': 'Nom d’utilisateur',
  'users.password': 'Mot de passe (laisser vide pour en générer un)',
  'users.role': 'Rôle',
  'users.submit': 'Créer l’utilisateur',
  'users.created': 'Utilisateur « {name} » créé avec le rôle {role}.',
  'users.generated':
    'Mot de passe généré, affiché une seule fois : notez-le et transmettez-le à l’intéressé.',
  'users.roles': 'Les rôles et ce qu’ils permettent',
  'users.col.role': 'Rôle',
  'users.col.permissions': 'Permissions',
  'users.list': 'Comptes de {tenant}',
  'users.none': 'Aucun compte dans ce service.',
  'users.col.name': 'Nom d’utilisateur',
  'users.col.created': 'Créé le',

  'role.platform-admin': 'Administrateur de la plate-forme',
  'role.archivist': 'Archiviste',
  'role.control-authority': 'Autorité de contrôle',
  'role.producer': 'Service producteur (versant)',
  'role.reader': 'Lecteur',

  'apikeys.title': 'Clés d’API',
  'apikeys.intro':
    'Une clé d’API permet à une application (parapheur, logiciel métier) de verser ou de consulter dans {tenant}.',
  'apikeys.label': 'Libellé',
  'apikeys.role': 'Rôle',
  'apikeys.submit': 'Créer la clé',
  'apikeys.created':
    'Clé « {label} » créée (identifiant {id}). Copiez-la maintenant : elle ne sera plus jamais affichée.',
  'apikeys.create': 'Créer une clé',
  'apikeys.list': 'Clés existantes',
  'apikeys.none': 'Aucune clé d’API dans ce service.',
  'apikeys.col.label': 'Libellé',
  'apikeys.col.key': 'Début de la clé',
  'apikeys.col.state': 'État',
  'apikeys.active': 'active',
  'apikeys.revokedOn': 'révoquée le {date}',
  'apikeys.revoke': 'Révoquer la clé {label}',
  'apikeys.revokeShort': 'Révoquer',
  'apikeys.revoked':
    'Clé « {label} » révoquée : les applications qui l’utilisent sont refusées dès maintenant.',

  'ref.title': 'Référentiels',
  'ref.kind': 'Référentiel',
  'ref.kind.rules': 'Règles de gestion',
  'ref.kind.agencies': 'Services agents',
  'ref.kind.ingest-contracts': 'Contrats d’entrée',
  'ref.kind.access-contracts': 'Contrats d’accès',
  'ref.kind.management-contracts': 'Contrats de gestion',
  'ref.kind.profiles': 'Profils d’archivage',
  'ref.kind.archive-unit-profiles': 'Profils d’unité archivistique',
  'ref.entries': '{total} entrée(s)',
  'ref.empty': 'Ce référentiel est vide dans ce service.',
  'ref.import': 'Importer un fichier (remplace tout le référentiel)',
  'ref.file': 'Fichier (CSV pour les règles et services, JSON pour les contrats et profils)',
  'ref.submit': 'Importer',
  'ref.imported':
    'Import réussi : {created} créée(s), {updated} modifiée(s), {deleted} supprimée(s), {unchanged} inchangée(s).',
  'ref.refused':
    'Fichier refusé : rien n’a été modifié. Corrigez les lignes ci-dessous puis importez de nouveau.',
  'ref.col.line': 'Ligne',
  'ref.col.column': 'Colonne',
  'ref.col.field': 'Champ',
  'ref.col.message': 'Erreur',
  'ref.truncated': 'Seules les premières erreurs sont affichées.',
}

const coreEn: Record<keyof typeof coreFr, string> = {
  'app.name': 'SAEH',
  'app.tagline': 'Hybrid electronic archiving system',
  'app.skip': 'Skip to content',
  'app.language': 'Language',
  'app.loading': 'Loading…',
  'app.none': '—',
  'app.yes': 'yes',
  'app.no': 'no',

  'nav.label': 'Main navigation',
  'nav.home': 'Home',
  'nav.transfers': 'Transfers',
  'nav.search': 'Search',
  'nav.logbook': 'Logbook',
  'nav.admin': 'Administration',
  'nav.tenants': 'Archive services',
  'nav.users': 'Users and roles',
  'nav.apikeys': 'API keys',
  'nav.referentials': 'Referentials',

  'session.tenant': 'Archive service',
  'session.signedInAs': 'Signed in: {name}',
  'session.logout': 'Sign out',
  'session.expired': 'Your session has expired or was closed: sign in again to continue.',
  'session.loggedOut': 'You are signed out.',
  'session.noTenant': 'No archive service is open to you: ask your administrator for access.',

  'login.title': 'Sign in',
  'login.username': 'User name',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.busy': 'Signing in…',

  'error.title': 'Something went wrong',
  'error.network': 'The SAEH server does not answer. Check your connection and try again.',
  'error.forbidden': 'Your role does not allow this action in this archive service.',
  'error.server':
    'Server error: the operation did not complete. Try again later; if it persists, tell the administrator.',
  'error.notFound': 'Not found: this item does not exist or does not belong to this archive service.',
  'error.code': 'Code: {code}',
  'error.render': 'This page could not be shown. Go back home and try again.',
  'error.backHome': 'Back to home',
  'error.denied.title': 'Access denied',
  'error.denied.text': 'Your role does not give access to this page in this archive service.',
  'error.pageNotFound': 'This page does not exist.',

  'home.title': 'Home',
  'home.welcome': 'Hello {name} — archive service: {tenant}.',
  'home.recent': 'Recent transfers',
  'home.noTransfers': 'No transfers yet.',
  'home.storage': 'Storage',
  'home.bytes': 'Volume transferred (accepted ingests)',
  'home.units': 'Archive units',
  'home.transfersOk': 'Accepted ingests',
  'home.transfersKo': 'Refused ingests',
  'home.newTransfer': 'New transfer',

  'status.OK': 'Accepted',
  'status.KO': 'Refused',
  'status.WARNING': 'Accepted with warning',
  'status.FATAL': 'Technical error',
  'status.PENDING': 'Waiting',
  'status.RUNNING': 'Running',

  'transfers.title': 'Transfers',
  'transfers.upload': 'Transfer a SEDA package',
  'transfers.file': 'Package (zip, tar or tar.gz)',
  'transfers.fileHelp': 'The package holds the manifest.xml and the files it describes.',
  'transfers.submit': 'Send',
  'transfers.cancel': 'Cancel the upload',
  'transfers.progress': 'Uploading: {percent} % ({sent} of {total})',
  'transfers.sent': 'Package received: checks running…',
  'transfers.badType':
    'File type not accepted: “{name}”. Choose a SEDA package packed as .zip, .tar or .tar.gz.',
  'transfers.noFile': 'Choose the package file first.',
  'transfers.aborted': 'Upload cancelled: nothing was transferred. You can start again.',
  'transfers.list': 'Latest transfers',
  'transfers.col.date': 'Date',
  'transfers.col.file': 'File',
  'transfers.col.status': 'Status',
  'transfers.col.units': 'Units',
  'transfers.col.size': 'Size',

  'op.title': 'Transfer {id}',
  'op.titleGeneric': 'Operation {id}',
  'op.status': 'Status',
  'op.type': 'Type',
  'op.created': 'Created',
  'op.updated': 'Updated',
  'op.waiting': 'The package is being checked; this page updates itself.',
  'op.ok':
    'Transfer accepted: {units} unit(s), {objects} digital object(s), {physical} physical object(s), {bytes}.',
  'op.ko': 'Transfer refused: nothing was kept. Fix the points below and transfer the package again.',
  'op.fatal':
    'The transfer failed for a technical reason. Transfer the package again; if it persists, tell the administrator.',
  'op.problems': 'What to fix',
  'op.steps': 'Check steps',
  'op.col.step': 'Step',
  'op.col.outcome': 'Outcome',
  'op.col.message': 'Message',
  'op.col.object': 'Item',
  'op.atr': 'Download the transfer reply (ATR)',
  'op.units': 'See the transferred units',
  'op.fix': 'To do: {hint}',

  'hint.CHECK_CONTAINER':
    'the file is not a readable package: rebuild the zip, tar or tar.gz with manifest.xml at its root.',
  'hint.CHECK_SEDA':
    'the manifest does not conform to the SEDA schema: fix the element named in manifest.xml.',
  'hint.CHECK_HEADER.CHECK_AGENT':
    'the agency named is unknown: have it added to the agencies referential, or fix its identifier in the manifest.',
  'hint.CHECK_HEADER.CHECK_CONTRACT_INGEST':
    'the ingest contract is unknown or inactive: check ArchivalAgreement in the manifest or the contracts referential.',
  'hint.CHECK_HEADER': 'fix the manifest header (agencies, contract, profile).',
  'hint.CHECK_DATAOBJECTPACKAGE':
    'the manifest references do not match the files: check the objects’ Uri and identifiers.',
  'hint.CHECK_DIGEST':
    'the file named does not match its declared digest: send the right file or recompute the SHA-512 in the manifest.',
  'hint.OG_OBJECTS_FORMAT_CHECK':
    'the format of the file named is not accepted: convert it (for example to PDF/A) or ask for the ingest contract to change.',
  'hint.UNITS_RULES_COMPUTE':
    'a management rule is unknown or malformed: fix its identifier or have it added to the rules referential.',
  'hint.default': 'read the message next to it and fix the package accordingly.',

  'search.title': 'Search',
  'search.query': 'Search in titles',
  'search.submit': 'Search',
  'search.results': '{total} result(s)',
  'search.none': 'No archive unit matches.',
  'search.col.title': 'Title',
  'search.col.level': 'Level',
  'search.col.dates': 'Dates',
  'search.col.objects': 'Objects',
  'search.prev': 'Previous page',
  'search.next': 'Next page',
  'search.page': 'Page {page} of {pages}',

  'unit.metadata': 'Description',
  'unit.level': 'Level of description',
  'unit.dates': 'Dates',
  'unit.originating': 'Originating agency',
  'unit.submission': 'Submission agency',
  'unit.operation': 'Transfer',
  'unit.parent': 'Parent unit',
  'unit.children': 'Contained units',
  'unit.content': 'Descriptive metadata (SEDA)',
  'unit.rules': 'Management rules',
  'unit.noRules': 'No management rule applies to this unit.',
  'unit.rule.category': 'Category',
  'unit.rule.id': 'Rule',
  'unit.rule.start': 'Start',
  'unit.rule.end': 'End',
  'unit.rule.final': 'Final action',
  'unit.rule.origin': 'Origin',
  'unit.rule.own': 'Declared on this unit',
  'unit.rule.inherited': 'Inherited from unit {id}',
  'unit.objects': 'Digital objects',
  'unit.noObjects': 'No digital object.',
  'unit.physical': 'Physical objects',
  'unit.noPhysical': 'No physical object.',
  'unit.obj.file': 'File',
  'unit.obj.format': 'Format',
  'unit.obj.size': 'Size',
  'unit.obj.usage': 'Usage',
  'unit.obj.digest': 'Digest',
  'unit.obj.physicalId': 'Physical identifier',
  'unit.preview': 'Preview',
  'unit.previewOf': 'Preview of {name}',
  'unit.closePreview': 'Close the preview',
  'unit.download': 'Download',
  'unit.noPreview': 'No preview for this format: download the file.',

  'rule.AppraisalRule': 'Appraisal',
  'rule.AccessRule': 'Access',
  'rule.StorageRule': 'Storage',
  'rule.DisseminationRule': 'Dissemination',
  'rule.ReuseRule': 'Reuse',
  'rule.ClassificationRule': 'Classification',
  'rule.HoldRule': 'Hold',
  'final.Keep': 'Keep',
  'final.Destroy': 'Destroy',
  'final.RestrictAccess': 'Restrict access',
  'final.Transfer': 'Transfer',
  'final.Copy': 'Copy',

  'logbook.title': 'Operations logbook',
  'logbook.type': 'Operation type',
  'logbook.allTypes': 'All types',
  'logbook.filter': 'Filter',
  'logbook.col.date': 'Date',
  'logbook.col.type': 'Type',
  'logbook.col.status': 'Status',
  'logbook.col.id': 'Operation',
  'logbook.none': 'No operation.',
  'logbook.events': 'Events',

  'tenants.title': 'Archive services',
  'tenants.col.id': 'Identifier',
  'tenants.col.name': 'Name',
  'tenants.col.controlledBy': 'Controlled by',
  'tenants.col.created': 'Created',
  'tenants.create': 'Create an archive service',
  'tenants.id': 'Identifier (lower-case letters, digits, hyphens)',
  'tenants.name': 'Name',
  'tenants.controlledBy': 'Controlling service (departmental archives)',
  'tenants.noControl': 'None',
  'tenants.submit': 'Create',
  'tenants.created': 'Service “{name}” created. Now import its referentials.',

  'users.title': 'Users and roles',
  'users.create': 'Create a user in {tenant}',
  'users.username': 'User name',
  'users.password': 'Password (leave empty to generate one)',
  'users.role': 'Role',
  'users.submit': 'Create the user',
  'users.created': 'User “{name}” created with role {role}.',
  'users.generated': 'Generated password, shown once: note it and hand it to the person.',
  'users.roles': 'Roles and what they allow',
  'users.col.role': 'Role',
  'users.col.permissions': 'Permissions',
  'users.list': 'Accounts of {tenant}',
  'users.none': 'No account in this service.',
  'users.col.name': 'User name',
  'users.col.created': 'Created',

  'role.platform-admin': 'Platform administrator',
  'role.archivist': 'Archivist',
  'role.control-authority': 'Control authority',
  'role.producer': 'Producer (transferring)',
  'role.reader': 'Reader',

  'apikeys.title': 'API keys',
  'apikeys.intro':
    'An API key lets an application (signing portal, business software) transfer or read in {tenant}.',
  'apikeys.label': 'Label',
  'apikeys.role': 'Role',
  'apikeys.submit': 'Create the key',
  'apikeys.created': 'Key “{label}” created (id {id}). Copy it now: it will never be shown again.',
  'apikeys.create': 'Create a key',
  'apikeys.list': 'Existing keys',
  'apikeys.none': 'No API key in this service.',
  'apikeys.col.label': 'Label',
  'apikeys.col.key': 'Start of the key',
  'apikeys.col.state': 'State',
  'apikeys.active': 'active',
  'apikeys.revokedOn': 'revoked on {date}',
  'apikeys.revoke': 'Revoke the key {label}',
  'apikeys.revokeShort': 'Revoke',
  'apikeys.revoked': 'Key “{label}” revoked: applications using it are refused from now on.',

  'ref.title': 'Referentials',
  'ref.kind': 'Referential',
  'ref.kind.rules': 'Management rules',
  'ref.kind.agencies': 'Agencies',
  'ref.kind.ingest-contracts': 'Ingest contracts',
  'ref.kind.access-contracts': 'Access contracts',
  'ref.kind.management-contracts': 'Management contracts',
  'ref.kind.profiles': 'Archive profiles',
  'ref.kind.archive-unit-profiles': 'Archive unit profiles',
  'ref.entries': '{total} entr(ies)',
  'ref.empty': 'This referential is empty in this service.',
  'ref.import': 'Import a file (replaces the whole referential)',
  'ref.file': 'File (CSV for rules and agencies, JSON for contracts and profiles)',
  'ref.submit': 'Import',
  'ref.imported': 'Imported: {created} created, {updated} updated, {deleted} deleted, {unchanged} unchanged.',
  'ref.refused': 'File refused: nothing was changed. Fix the lines below and import again.',
  'ref.col.line': 'Line',
  'ref.col.column': 'Column',
  'ref.col.field': 'Field',
  'ref.col.message': 'Error',
  'ref.truncated': 'Only the first errors are shown.',
}

const fr = {
  ...coreFr,
  ...adminMessages.fr,
  ...physicalMessages.fr,
  ...lifecycleMessages.fr,
  ...refMessages.fr,
}

export type MessageKey = keyof typeof fr

const en: Record<MessageKey, string> = {
  ...coreEn,
  ...adminMessages.en,
  ...physicalMessages.en,
  ...lifecycleMessages.en,
  ...refMessages.en,
}

export type Lang = 'fr' | 'en'
export const LANGS: readonly Lang[] = ['fr', 'en']
const DICTS: Record<Lang, Record<MessageKey, string>> = { fr, en }

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string

export function translator(lang: Lang): Translate {
  const d = DICTS[lang]
  return (key, params) => {
    const s = d[key] ?? fr[key] ?? key
    return params ? s.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m)) : s
  }
}

/** True when `key` names a message (for keys built from API values, e.g. `status.${status}`). */
export function hasMessage(key: string): key is MessageKey {
  return key in fr
}

export interface I18n {
  readonly lang: Lang
  readonly t: Translate
  setLang(lang: Lang): void
}

export const I18nContext = createContext<I18n>({ lang: 'fr', t: translator('fr'), setLang: () => {} })

export function useI18n(): I18n {
  return useContext(I18nContext)
}
