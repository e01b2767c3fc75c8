/**
 * The commented template `applink-jwt sandbox --print-state` prints: a state file in the format
 * `--state` reads, describing the default state, with every optional key shown (commented out)
 * with its default. It ships inside the CLI (no file beside the package is read).
 */

/** The template's text (YAML). Loading it gives the default state. */
export const STATE_TEMPLATE = `# applink-jwt sandbox state: what the sandbox's doubles know.
# Start with it:  applink-jwt sandbox --state sandbox.yml
# Keys marked "optional" may be left out; the commented value is the default.

heroku:
  # The HEROKU_API_KEY the Platform API double accepts (optional; default: random per start).
  # apiKey: HRKU-sandbox-0123456789abcdef0123456789abcdef
  # The Heroku user (audit fields, the SSO payload).
  email: developer@example.com

# Knobs of the doubles (all optional).
settings:
  # Delay before an authorization leaves "authorizing" (milliseconds), or never.
  settleDelayMs: 300
  # Grace after the assertion's exp before "expired authorization code" (seconds).
  # expSkewSeconds: 180
  # Also refuse an exp more than expSkewSeconds in the future (Salesforce does not).
  # strictExp: false
  # The Data Cloud exchange's instance_url: bare-host (like Salesforce) or url.
  # dataCloudInstanceUrl: bare-host
  # Lifetime of the access tokens the Salesforce double issues (seconds).
  # sessionSeconds: 7200
  # org.type of Data Cloud authorizations: DataCloudOrg, or the legacy DatacloudOrg.
  # dataCloudOrgType: DataCloudOrg
  # How long after a Metadata API deploy of a new certificate the login servers accept it
  # (milliseconds), or never (the never-propagates fault).
  # propagationDelayMs: 1000
  # How long a Metadata API deploy takes until done (milliseconds).
  # deployDelayMs: 200

# Salesforce orgs.
orgs:
  - name: acme
    # 15- or 18-character 00D... id (optional; default: generated).
    # id: 00D5g000004XyZaEAK
    # production (aud https://login.salesforce.com) or sandbox (aud https://test.salesforce.com).
    type: production
    # The My Domain URL the org also accepts as audience (optional; default from the name).
    myDomain: https://acme.my.salesforce.com
    # apiVersion: "62.0"
    # Whether the Data Cloud token exchange works for this org.
    # dataCloud: true
    users:
      - username: ci@acme.example
        # id: 005SB0000000001AAA
        # false: the token endpoint answers "inactive user".
        active: true
        # What the Metadata API double checks (an admin for applink-jwt rotate):
        # ModifyAllData, ModifyMetadata, ManageExternalClientApps, ViewConsumerSecretsInMetadata.
        # permissions: []
    externalClientApps:
      - name: AppLink CI
        # The API name, also that of its ExtlClntAppGlobalOauthSettings (default from the name).
        # developerName: AppLink_CI
        # The consumer key (SF_CLIENT_ID).
        consumerKey: 3MVG9sandbox.AcmeAppLinkCI.ConsumerKey
        # The certificate of your key ("Use digital signatures"): PEM text, or a path relative
        # to this file, e.g. keys/server.crt (optional: register one later with --cert-file or
        # POST /__sandbox/certificates).
        # certificate: keys/server.crt
        # Users admin-approved for the app ("Admin approved users are pre-authorized").
        preAuthorized:
          - ci@acme.example
        # scopes: [api, refresh_token, cdp_query_api]

# Heroku apps; the first app with an AppLink add-on is the one the printed environment names.
apps:
  - name: acme-app
    # id: 0b5d2a3e-6f0c-4f36-9d3e-2a1c5b7e9f01
    # configVars: { LOG_LEVEL: debug }
    # What HEROKU_API_KEY's user may do; without deploy, PATCH config-vars answers 403 forbidden.
    # permissions: [view, deploy, operate, manage]
    addons:
      - name: applink-sandbox-1
        # id: 5c8e1f2a-3b4d-4e6f-8a9b-0c1d2e3f4a5b
        # service: heroku-applink
        # provisioning leaves the add-on's config vars out (not fully provisioned).
        # state: provisioned
        # Attachments name the config vars <NAME>_API_URL and <NAME>_TOKEN; app: another app
        # to attach to (optional; default: this one); token: the add-on token (default: random).
        attachments:
          - name: HEROKU_APPLINK

# The CircleCI API v2 contexts double (its own host; CIRCLECI_API_URL is printed).
circleci:
  # The Circle-Token it accepts (optional; default: random per start; printed as CIRCLE_TOKEN).
  # token: CCIPAT_sandbox_0123456789abcdef
  organizations:
    # gh/<org>, bb/<org> or circleci/<uuid> (the owner-slug of GET /api/v2/context).
    - slug: gh/acme
      # id: 4f7c1e2a-9b3d-4c5e-8f6a-1b2c3d4e5f60
      contexts:
        - name: applink-jwt
          # id: 8d2e4f6a-1b3c-4d5e-9f7a-2b4c6d8e0f12
          # Variables already set (name: value); the API never returns values.
          # variables: { SF_USERNAME: ci@acme.example }
`;
