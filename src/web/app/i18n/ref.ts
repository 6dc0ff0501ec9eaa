import { defineMessages } from './define.js'

/** The referentials screen's profile schema upload (« Attacher un schéma »). */
export const refMessages = defineMessages(
  {
    'ref.upload.title': 'Attacher un schéma à un profil',
    'ref.upload.intro':
      'Un schéma RelaxNG (.rng) ou XSD (.xsd) : les versements qui déclarent ce profil y seront confrontés. Il remplace le schéma déjà attaché.',
    'ref.upload.profile': 'Profil d’archivage',
    'ref.upload.file': 'Fichier de schéma (.rng ou .xsd)',
    'ref.upload.submit': 'Attacher le schéma',
    'ref.upload.sending': 'Vérification et envoi du schéma…',
    'ref.upload.done': 'Schéma {format} attaché au profil {profile} (empreinte SHA-512 {digest}…).',
    'ref.upload.noProfile': 'Aucun profil dans ce référentiel : importez d’abord les profils.',
    'ref.upload.badExt':
      'Fichier refusé avant l’envoi : « {name} » n’est pas un schéma .rng ou .xsd. Rien n’a été envoyé.',
    'ref.upload.empty': 'Fichier refusé avant l’envoi : « {name} » est vide. Rien n’a été envoyé.',
    'ref.upload.refused.PROFILE_SCHEMA_INVALID': 'Schéma refusé : le profil garde son schéma précédent.',
    'ref.upload.refused.REFERENTIAL_ENTRY_NOT_FOUND':
      'Ce profil n’existe plus dans le référentiel du service : rechargez la liste.',
    'ref.upload.refused.REQUEST_TOO_LARGE':
      'Schéma trop volumineux : le serveur n’en accepte pas de cette taille.',
    'ref.upload.refused.XMLLINT_MISSING':
      'Le serveur ne peut pas vérifier les schémas pour l’instant (xmllint absent) : prévenez l’administrateur de la plate-forme.',
  },
  {
    'ref.upload.title': 'Attach a schema to a profile',
    'ref.upload.intro':
      'A RelaxNG (.rng) or XSD (.xsd) schema: transfers that declare this profile will be checked against it. It replaces the schema already attached.',
    'ref.upload.profile': 'Archive profile',
    'ref.upload.file': 'Schema file (.rng or .xsd)',
    'ref.upload.submit': 'Attach the schema',
    'ref.upload.sending': 'Checking and sending the schema…',
    'ref.upload.done': '{format} schema attached to profile {profile} (SHA-512 digest {digest}…).',
    'ref.upload.noProfile': 'No profile in this referential: import the profiles first.',
    'ref.upload.badExt':
      'File refused before sending: “{name}” is not a .rng or .xsd schema. Nothing was sent.',
    'ref.upload.empty': 'File refused before sending: “{name}” is empty. Nothing was sent.',
    'ref.upload.refused.PROFILE_SCHEMA_INVALID': 'Schema refused: the profile keeps its previous schema.',
    'ref.upload.refused.REFERENTIAL_ENTRY_NOT_FOUND':
      'This profile is no longer in the service’s referential: reload the list.',
    'ref.upload.refused.REQUEST_TOO_LARGE': 'Schema too large: the server does not accept one of this size.',
    'ref.upload.refused.XMLLINT_MISSING':
      'The server cannot check schemas at the moment (xmllint missing): tell the platform administrator.',
  },
)
