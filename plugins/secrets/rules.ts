/**
 * The secrets plugin's rule set, kept as data: one entry per credential
 * format, each with the vendor's documented format as its source (or, where a
 * vendor does not document the format, the public scanner rule it follows).
 *
 * - `pattern` is a RegExp source (compiled with the `g` and `d` flags plus
 *   `flags`). A named group `secret` marks the value itself: entropy and
 *   placeholder checks look at it, and redaction replaces only it (so
 *   `postgres://app:[REDACTED:database-uri]@db:5432` keeps the host). Without
 *   the group the whole match is the secret.
 * - `before`: what the text right before a match must end with; checked in
 *   code on a match, so the pattern can start with a rare literal (`://`) and
 *   stay fast (a lookbehind is tried at every position).
 * - `keywords`: the rule runs only when one of them occurs in the text
 *   (case-insensitively when the keyword is in lower case, exactly when it has
 *   a capital). One pass finds every keyword for every rule; this prefilter is
 *   what keeps a scan of a clean 4 KB prompt in the tens of microseconds.
 * - `entropy`: the minimum Shannon entropy (bits per character) of the secret;
 *   the default for every rule is 3.0 (generic rules set their own).
 * - `severity: 'low'` marks test-mode keys: reported (verdict `flag`, logged,
 *   counted) but by default neither blocked nor redacted (see `lowSeverity`).
 * - `generic: true` marks rules that key on a secret-like NAME rather than a
 *   vendor format; their values must also not look like identifiers.
 */

export interface SecretRule {
  id: string
  name: string
  pattern: string
  flags?: string
  /** What the text right before the match must match (a RegExp source ending in `$`), checked on a match only. */
  before?: string
  keywords?: readonly string[]
  entropy?: number
  severity?: 'high' | 'low'
  generic?: boolean
  source: string
}

/** Not preceded by a token character. */
const B = '(?<![A-Za-z0-9_-])'
/** Not followed by a token character. */
const E = '(?![A-Za-z0-9_-])'
/** How a value is assigned to a name in env files, JSON, YAML, code and CLI flags. */
const ASSIGN = String.raw`(?:["'\]]?\s*(?::=|=>|==|=|:)\s*|["']\s*,\s*|\s+)(?:["'\x60]|\\")?`
const ASSIGN_STRICT = String.raw`(?:["'\]]?\s*(?::=|=>|==|=|:)\s*|["']\s*,\s*)(?:["'\x60]|\\")?`
const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}'
const PEM_BODY = String.raw`[\s\S]{0,300}?[A-Za-z0-9+/]{40,}[A-Za-z0-9+/=:,.\s\\-]*?(?:-----END[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----|(?=[^A-Za-z0-9+/=:,.\s\\-])|$)`

export const RULES: readonly SecretRule[] = [
  // --- Cloud providers ---
  {
    id: 'aws-access-key',
    name: 'AWS access key ID',
    pattern: String.raw`\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b`,
    keywords: ['akia', 'asia', 'abia', 'acca', 'a3t'],
    source: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids',
  },
  {
    id: 'aws-secret-key',
    name: 'AWS secret access key',
    pattern: String.raw`(?:(?:aws|amz|amazon)[\w.-]{0,30}?(?:secret|key)[\w.-]{0,20}?|secret_?access_?key)${ASSIGN_STRICT}(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])`,
    flags: 'i',
    keywords: ['aws', 'amz', 'amazon', 'secretaccesskey', 'secret_access_key'],
    entropy: 4.2,
    source: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html',
  },
  {
    id: 'gcp-service-account-key',
    name: 'Google Cloud service account private key',
    pattern: String.raw`"private_key"\s*:\s*"-----BEGIN[ A-Z]{0,20}PRIVATE KEY-----${PEM_BODY}`,
    keywords: ['"private_key"'],
    source: 'https://cloud.google.com/iam/docs/keys-create-delete#creating',
  },
  {
    id: 'google-api-key',
    name: 'Google API key (Cloud, Maps, Firebase, Gemini / Google AI Studio)',
    pattern: String.raw`\bAIza[0-9A-Za-z_-]{35}${E}`,
    keywords: ['aiza'],
    source: 'https://cloud.google.com/docs/authentication/api-keys',
  },
  {
    id: 'google-oauth-client-secret',
    name: 'Google OAuth client secret',
    pattern: String.raw`\bGOCSPX-[A-Za-z0-9_-]{28}${E}`,
    keywords: ['gocspx-'],
    source: 'https://developers.google.com/identity/protocols/oauth2',
  },
  {
    id: 'google-oauth-access-token',
    name: 'Google OAuth access token',
    pattern: String.raw`\bya29\.[0-9A-Za-z_-]{30,}${E}`,
    keywords: ['ya29.'],
    entropy: 3.5,
    source: 'https://developers.google.com/identity/protocols/oauth2',
  },
  {
    id: 'azure-storage-key',
    name: 'Azure storage account key',
    pattern: String.raw`(?:AccountKey|account_?key|storage_?key|azure[\w.-]{0,30}?key)${ASSIGN_STRICT}(?<secret>[A-Za-z0-9+/]{86}==)`,
    flags: 'i',
    keywords: ['accountkey', 'account_key', 'storagekey', 'storage_key', 'azure'],
    source: 'https://learn.microsoft.com/en-us/azure/storage/common/storage-configure-connection-string',
  },
  {
    id: 'azure-shared-access-key',
    name: 'Azure Service Bus / Event Hubs / IoT shared access key',
    pattern: 'SharedAccessKey=(?<secret>[A-Za-z0-9+/]{42,43}=)',
    keywords: ['sharedaccesskey='],
    source: 'https://learn.microsoft.com/en-us/azure/service-bus-messaging/service-bus-sas',
  },
  {
    id: 'azure-sas-token',
    name: 'Azure shared access signature',
    pattern: String.raw`[?&]sv=\d{4}-\d{2}-\d{2}&[^\s"'<>]{0,300}?\bsig=(?<secret>[A-Za-z0-9%+/]{40,}(?:%3D|=){0,2})`,
    keywords: ['sig='],
    source: 'https://learn.microsoft.com/en-us/rest/api/storageservices/create-service-sas',
  },
  {
    id: 'azure-ad-client-secret',
    name: 'Microsoft Entra ID (Azure AD) client secret',
    pattern: String.raw`${B}[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}${E}`,
    keywords: ['Q~'],
    source: 'https://learn.microsoft.com/en-us/entra/identity-platform/how-to-add-credentials?tabs=client-secret',
  },
  {
    id: 'digitalocean-token',
    name: 'DigitalOcean token',
    pattern: String.raw`\bdo[opr]_v1_[a-f0-9]{64}\b`,
    keywords: ['_v1_'],
    source: 'https://docs.digitalocean.com/reference/api/create-personal-access-token/',
  },
  {
    id: 'heroku-api-key',
    name: 'Heroku API key',
    pattern: String.raw`\bHRKU-AA[0-9A-Za-z_-]{58}${E}|heroku[\w.-]{0,30}?${ASSIGN_STRICT}(?<secret>${UUID})`,
    flags: 'i',
    keywords: ['hrku-', 'heroku'],
    source: 'https://devcenter.heroku.com/articles/authentication',
  },

  // --- Source hosting and package registries ---
  {
    id: 'github-pat',
    name: 'GitHub personal access token (classic)',
    pattern: String.raw`\bghp_[A-Za-z0-9]{36}\b`,
    keywords: ['ghp_'],
    source:
      'https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/about-authentication-to-github#githubs-token-formats',
  },
  {
    id: 'github-fine-grained-pat',
    name: 'GitHub fine-grained personal access token',
    pattern: String.raw`\bgithub_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}\b`,
    keywords: ['github_pat_'],
    source:
      'https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/about-authentication-to-github#githubs-token-formats',
  },
  {
    id: 'github-oauth-token',
    name: 'GitHub OAuth access token',
    pattern: String.raw`\bgho_[A-Za-z0-9]{36}\b`,
    keywords: ['gho_'],
    source:
      'https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/about-authentication-to-github#githubs-token-formats',
  },
  {
    id: 'github-app-token',
    name: 'GitHub App user-to-server / server-to-server token',
    pattern: String.raw`\bgh[us]_[A-Za-z0-9]{36}\b`,
    keywords: ['ghu_', 'ghs_'],
    source:
      'https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/about-authentication-to-github#githubs-token-formats',
  },
  {
    id: 'github-refresh-token',
    name: 'GitHub refresh token',
    pattern: String.raw`\bghr_[A-Za-z0-9]{36,76}\b`,
    keywords: ['ghr_'],
    source:
      'https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/about-authentication-to-github#githubs-token-formats',
  },
  {
    id: 'gitlab-token',
    name: 'GitLab token (personal, deploy, runner, pipeline trigger, ...)',
    pattern: String.raw`\b(?:glpat|gldt|glrt|glptt|glcbt|gloas|glft|glsoat|glimt|glagent)-[A-Za-z0-9_.-]{20,}${E}`,
    keywords: ['glpat-', 'gldt-', 'glrt-', 'glptt-', 'glcbt-', 'gloas-', 'glft-', 'glsoat-', 'glimt-', 'glagent-'],
    source: 'https://docs.gitlab.com/security/tokens/#token-prefixes',
  },
  {
    id: 'bitbucket-app-password',
    name: 'Bitbucket app password',
    pattern: String.raw`\bATBB[A-Za-z0-9_=.-]{28,}${E}`,
    keywords: ['atbb'],
    source: 'https://support.atlassian.com/bitbucket-cloud/docs/app-passwords/',
  },
  {
    id: 'atlassian-api-token',
    name: 'Atlassian API token (Jira, Confluence, Bitbucket)',
    pattern: String.raw`\bATATT3[A-Za-z0-9_=-]{150,250}${E}|(?:atlassian|confluence|jira)[\w.-]{0,30}?${ASSIGN_STRICT}(?<secret>[A-Za-z0-9]{24})\b`,
    flags: 'i',
    keywords: ['atatt3', 'atlassian', 'confluence', 'jira'],
    source: 'https://support.atlassian.com/atlassian-account/docs/manage-api-tokens-for-your-atlassian-account/',
  },
  {
    id: 'npm-token',
    name: 'npm access token',
    pattern: String.raw`\bnpm_[A-Za-z0-9]{36}\b`,
    keywords: ['npm_'],
    source: 'https://docs.npmjs.com/about-access-tokens',
  },
  {
    id: 'pypi-token',
    name: 'PyPI API token',
    pattern: String.raw`\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}${E}`,
    keywords: ['pypi-'],
    source: 'https://pypi.org/help/#apitoken',
  },
  {
    id: 'docker-hub-token',
    name: 'Docker Hub access token',
    pattern: String.raw`\bdckr_(?:pat|oat)_[A-Za-z0-9_-]{27,}${E}`,
    keywords: ['dckr_'],
    source: 'https://docs.docker.com/security/for-developers/access-tokens/',
  },

  // --- Messaging ---
  {
    id: 'slack-token',
    name: 'Slack token',
    pattern: String.raw`\bxox[abposre]-[0-9]{6,}-[0-9A-Za-z-]{8,}|\bxapp-\d-[A-Z0-9]{8,}-\d{8,}-[a-z0-9]{32,}\b`,
    keywords: ['xoxb-', 'xoxp-', 'xoxa-', 'xoxo-', 'xoxs-', 'xoxr-', 'xoxe-', 'xapp-'],
    source: 'https://api.slack.com/concepts/token-types',
  },
  {
    id: 'slack-webhook',
    name: 'Slack incoming webhook URL',
    pattern: String.raw`https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9]{8,12}/[A-Za-z0-9]{8,12}/[A-Za-z0-9]{20,}`,
    keywords: ['hooks.slack.com'],
    source: 'https://api.slack.com/messaging/webhooks',
  },
  {
    id: 'discord-webhook',
    name: 'Discord webhook URL',
    pattern: String.raw`https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d{17,20}/[A-Za-z0-9_-]{60,70}`,
    keywords: ['discord'],
    source: 'https://discord.com/developers/docs/resources/webhook',
  },
  {
    id: 'discord-bot-token',
    name: 'Discord bot token',
    pattern: String.raw`${B}[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}${E}`,
    keywords: ['discord', 'bot', 'token', 'login'],
    entropy: 4,
    source: 'https://discord.com/developers/docs/reference#authentication',
  },
  {
    id: 'telegram-bot-token',
    name: 'Telegram bot token',
    pattern: String.raw`(?<![0-9])\d{8,10}:AA[A-Za-z0-9_-]{33}${E}`,
    keywords: [':aa'],
    source: 'https://core.telegram.org/bots/api#authorizing-your-bot',
  },
  {
    id: 'twilio-api-key',
    name: 'Twilio API key SID',
    pattern: String.raw`\bSK[0-9a-fA-F]{32}\b`,
    keywords: ['SK'],
    source: 'https://www.twilio.com/docs/iam/api-keys',
  },
  {
    id: 'twilio-account-sid',
    name: 'Twilio account SID',
    pattern: String.raw`\bAC[0-9a-f]{32}\b`,
    keywords: ['AC'],
    source: 'https://www.twilio.com/docs/glossary/what-is-a-sid',
  },
  {
    id: 'twilio-auth-token',
    name: 'Twilio auth token',
    pattern: String.raw`twilio[\w.-]{0,30}?(?:auth|token|secret)[\w.-]{0,20}?${ASSIGN_STRICT}(?<secret>[0-9a-f]{32})\b`,
    flags: 'i',
    keywords: ['twilio'],
    source: 'https://www.twilio.com/docs/iam/credentials/api',
  },
  {
    id: 'sendgrid-api-key',
    name: 'SendGrid API key',
    pattern: String.raw`\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}${E}`,
    keywords: ['sg.'],
    source: 'https://www.twilio.com/docs/sendgrid/ui/account-and-settings/api-keys',
  },
  {
    id: 'mailgun-api-key',
    name: 'Mailgun API key',
    pattern: String.raw`${B}key-[0-9a-f]{32}\b|mailgun[\w.-]{0,30}?${ASSIGN_STRICT}(?<secret>[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8})\b`,
    flags: 'i',
    keywords: ['key-', 'mailgun'],
    source: 'https://documentation.mailgun.com/docs/mailgun/user-manual/get-started/#primary-account-api-key',
  },
  {
    id: 'mailchimp-api-key',
    name: 'Mailchimp API key',
    pattern: String.raw`\b[0-9a-f]{32}-us\d{1,2}\b`,
    keywords: ['-us'],
    source: 'https://mailchimp.com/developer/marketing/guides/quick-start/#generate-your-api-key',
  },

  // --- Payments and commerce ---
  {
    id: 'stripe-live-key',
    name: 'Stripe live secret / restricted key',
    pattern: String.raw`\b(?:sk|rk)_live_[A-Za-z0-9]{24,247}\b`,
    keywords: ['_live_'],
    source: 'https://docs.stripe.com/keys',
  },
  {
    id: 'stripe-test-key',
    name: 'Stripe test-mode secret / restricted key',
    pattern: String.raw`\b(?:sk|rk)_test_[A-Za-z0-9]{24,247}\b`,
    keywords: ['_test_'],
    severity: 'low',
    source: 'https://docs.stripe.com/keys#test-live-modes',
  },
  {
    id: 'stripe-webhook-secret',
    name: 'Stripe webhook signing secret',
    pattern: String.raw`\bwhsec_[A-Za-z0-9]{32,}\b`,
    keywords: ['whsec_'],
    source: 'https://docs.stripe.com/webhooks#verify-events',
  },
  {
    id: 'square-token',
    name: 'Square access token / application secret',
    pattern: String.raw`\bEAAA[A-Za-z0-9_-]{60}${E}|\bsq0(?:atp|csp)-[A-Za-z0-9_-]{22,43}${E}`,
    keywords: ['eaaa', 'sq0'],
    source: 'https://developer.squareup.com/docs/build-basics/access-tokens',
  },
  {
    id: 'braintree-access-token',
    name: 'PayPal Braintree access token',
    pattern: String.raw`\baccess_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}\b`,
    keywords: ['access_token$'],
    source: 'https://developer.paypal.com/braintree/docs/guides/authorization/overview',
  },
  {
    id: 'paypal-client-secret',
    name: 'PayPal REST client secret',
    pattern: String.raw`paypal[\w.-]{0,30}?secret[\w.-]{0,20}?${ASSIGN_STRICT}(?<secret>[A-Za-z0-9_-]{60,90})${E}`,
    flags: 'i',
    keywords: ['paypal'],
    entropy: 4,
    source: 'https://developer.paypal.com/api/rest/authentication/',
  },
  {
    id: 'shopify-token',
    name: 'Shopify access token / shared secret',
    pattern: String.raw`\bshp(?:at|ca|pa|ss|ua)_[a-fA-F0-9]{32}\b`,
    keywords: ['shpat_', 'shpca_', 'shppa_', 'shpss_', 'shpua_'],
    source:
      'https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/generate-app-access-tokens-admin',
  },

  // --- AI providers ---
  {
    id: 'anthropic-api-key',
    name: 'Anthropic API key',
    pattern: String.raw`\bsk-ant-(?:api|admin|oat|sid)\d{2}-[A-Za-z0-9_-]{80,120}${E}`,
    keywords: ['sk-ant-'],
    source: 'https://docs.anthropic.com/en/api/overview#authentication',
  },
  {
    id: 'openai-api-key',
    name: 'OpenAI API key',
    pattern: String.raw`\bsk-(?:(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{40,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})${E}`,
    keywords: ['sk-'],
    source: 'https://platform.openai.com/docs/api-reference/authentication',
  },
  {
    id: 'huggingface-token',
    name: 'Hugging Face access token',
    pattern: String.raw`\b(?:hf|api_org)_[A-Za-z0-9]{34,40}\b`,
    keywords: ['hf_', 'api_org_'],
    source: 'https://huggingface.co/docs/hub/security-tokens',
  },
  {
    id: 'groq-api-key',
    name: 'Groq API key',
    pattern: String.raw`\bgsk_[A-Za-z0-9]{52}\b`,
    keywords: ['gsk_'],
    source: 'https://console.groq.com/docs/quickstart',
  },
  {
    id: 'cohere-api-key',
    name: 'Cohere API key',
    pattern: String.raw`(?:cohere|co_api_key)[\w.-]{0,30}?${ASSIGN_STRICT}(?<secret>[A-Za-z0-9]{40})\b`,
    flags: 'i',
    keywords: ['cohere', 'co_api_key'],
    entropy: 4,
    source: 'https://docs.cohere.com/reference/about#authentication',
  },
  {
    id: 'sk-style-api-key',
    name: 'API key in the sk- format (DeepSeek, Moonshot, OpenAI-compatible services)',
    pattern: String.raw`\bsk-[A-Za-z0-9]{32,64}${E}`,
    keywords: ['sk-'],
    entropy: 3.5,
    source: 'https://api-docs.deepseek.com/',
  },

  // --- Identity ---
  {
    id: 'okta-api-token',
    name: 'Okta API token',
    pattern: String.raw`(?:okta[\w.-]{0,30}?${ASSIGN_STRICT}|SSWS\s+)(?<secret>00[A-Za-z0-9_-]{40})${E}`,
    flags: 'i',
    keywords: ['okta', 'ssws'],
    source: 'https://developer.okta.com/docs/guides/create-an-api-token/main/',
  },

  // --- Keys, tokens and credentials in standard formats ---
  {
    id: 'openssh-private-key',
    name: 'OpenSSH private key',
    pattern: `-----BEGIN OPENSSH PRIVATE KEY-----${PEM_BODY}`,
    keywords: ['-----begin openssh private key'],
    source: 'https://man.openbsd.org/ssh-keygen#DESCRIPTION',
  },
  {
    id: 'pgp-private-key',
    name: 'PGP private key block',
    pattern: `-----BEGIN PGP PRIVATE KEY BLOCK-----${PEM_BODY}`,
    keywords: ['-----begin pgp private key block'],
    source: 'https://www.rfc-editor.org/rfc/rfc4880#section-6.2',
  },
  {
    id: 'private-key',
    name: 'PEM private key (RSA, EC, DSA, PKCS#8, encrypted)',
    pattern: `-----BEGIN (?:RSA |EC |DSA |ENCRYPTED |ED25519 )?PRIVATE KEY-----${PEM_BODY}`,
    keywords: ['private key-----'],
    source: 'https://www.rfc-editor.org/rfc/rfc7468#section-10',
  },
  {
    id: 'jwt',
    name: 'JSON Web Token',
    pattern: String.raw`\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,}${E}`,
    keywords: ['eyj'],
    source: 'https://www.rfc-editor.org/rfc/rfc7519#section-3.1',
  },
  {
    id: 'database-uri',
    name: 'database connection URI with a password',
    pattern: String.raw`://[^\s:/@'"]*:(?<secret>[^\s@/'"]{3,})@[A-Za-z0-9_.\[\]-]+`,
    before: String.raw`\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|cockroachdb|clickhouse|jdbc:[a-z]+)$`,
    keywords: [
      'postgres',
      'mysql://',
      'mariadb://',
      'mongodb',
      'redis',
      'amqp',
      'mssql://',
      'sqlserver://',
      'cockroachdb://',
      'clickhouse://',
      'jdbc:',
    ],
    entropy: 2,
    source: 'https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING-URIS',
  },
  {
    id: 'url-credentials',
    name: 'URL with a user name and password (basic auth)',
    pattern: String.raw`://[^\s:/@'"]+:(?<secret>[^\s@/'"]{3,})@[A-Za-z0-9_.-]+`,
    before: String.raw`\b(?:https?|ftps?|sftp|smtps?|git|ssh|wss?)$`,
    keywords: ['://'],
    entropy: 2,
    source: 'https://www.rfc-editor.org/rfc/rfc3986#section-3.2.1',
  },
  {
    id: 'basic-auth-header',
    name: 'HTTP Basic authorization header',
    pattern: String.raw`authorization["']?\s*[:=]\s*["']?basic\s+(?<secret>[A-Za-z0-9+/]{12,}={0,2})`,
    flags: 'i',
    keywords: ['basic'],
    source: 'https://www.rfc-editor.org/rfc/rfc7617#section-2',
  },
  {
    id: 'curl-credentials',
    name: 'credentials passed to curl -u',
    pattern: String.raw`\bcurl\b[^\n]{0,200}?\s(?:-u|--user)\s+["']?[^\s:'"]+:(?<secret>[^\s'"]{6,})`,
    keywords: ['curl'],
    entropy: 2.5,
    source: 'https://curl.se/docs/manpage.html#-u',
  },
  {
    id: 'bearer-token',
    name: 'bearer token',
    pattern: String.raw`(?<![A-Za-z])bearer\s+(?<secret>[A-Za-z0-9_\-.~+/]{20,}=*)`,
    flags: 'i',
    keywords: ['bearer'],
    entropy: 3.5,
    generic: true,
    source: 'https://www.rfc-editor.org/rfc/rfc6750#section-2.1',
  },

  // --- Generic: high-entropy values assigned to secret-like names ---
  {
    id: 'generic-password',
    name: 'password',
    pattern: String.raw`(?:pass(?:word|wd|phrase)|(?<![a-z])(?:pwd|pass))(?![a-z])[\w.-]{0,20}?(?:${ASSIGN}|["']\s+value\s*=\s*["'])(?<secret>[A-Za-z0-9_\-+/=.~!@#$%^&*?]{8,200})`,
    flags: 'i',
    keywords: ['pass', 'pwd'],
    entropy: 3,
    generic: true,
    source: 'https://github.com/gitleaks/gitleaks/blob/master/config/gitleaks.toml',
  },
  {
    id: 'generic-secret',
    name: 'secret, token or API key',
    pattern: String.raw`(?:secret|token|api[_.-]?key|apikey|access[_.-]?key|auth[_.-]?key|private[_.-]?key|signing[_.-]?key|encryption[_.-]?key|master[_.-]?key|credentials?|auth)(?![a-z])[\w.-]{0,20}?${ASSIGN_STRICT}(?<secret>[A-Za-z0-9_\-+/=.~!@#$%^&*?]{12,300})`,
    flags: 'i',
    keywords: ['secret', 'token', 'key', 'credential', 'auth'],
    entropy: 3.5,
    generic: true,
    source: 'https://github.com/gitleaks/gitleaks/blob/master/config/gitleaks.toml',
  },
]

/**
 * Values published in vendors' documentation as examples: never secrets.
 * (AWS's documented key pair, Stripe's documented test key, jwt.io's token.)
 */
export const DOCUMENTED_EXAMPLES: readonly string[] = [
  'AKIAIOSFODNN7EXAMPLE',
  'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'sk_test_4eC39HqLyjWDarjtT1zdp7dc',
  'sk_test_BQokikJOvBiI2HlWgH4olfQ2',
  'rk_test_4eC39HqLyjWDarjtT1zdp7dc',
  'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
]

export const RULE_IDS: readonly string[] = RULES.map((rule) => rule.id)
