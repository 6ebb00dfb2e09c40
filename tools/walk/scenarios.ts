// The guide's experiments, step by step: the one source of docs/guide.md's command blocks (written by
// `npm run walk -- --write-guide`) and of what `npm run walk` checks, locally and with --cluster.
//
// Every command here is what an attendee types in a shell prepared by the step's bindings (port-forwards
// to the step's Services, the CA in ca.crt, credentials in variables). The walk types the same commands:
// against the local processes with the same variables pointing at them, or against a real cluster.
import {
  GUIDE_STEPS,
  START_STACK,
  type ControlId,
  controlSet,
  controlsAtStep,
} from '@secure-workshop/contracts';
import type { Binding, Experiment, StepItem, StepScenario } from './scenario-types';

const GATEWAY = 'the gateway (Traefik and its plugins) runs only in the cluster';
const FIREWALL =
  "JumpWire's encryption and field dropping (the walk's stand-in only checks logins and pipes bytes)";
const POLICIES = 'NetworkPolicies need a CNI that enforces them';
const POD_SECURITY = "Pod Security is the API server's admission";
const KUBELET = 'a container runtime (users, read-only root file system)';
const MONITORING = 'Prometheus, Alertmanager, Loki and Alloy run only in the cluster';

/** The last JSON line of a run's log, reduced to what the experiment shows. */
const lastLine = (jq: string) => `tail -n 1 | jq -c '${jq}'`;

const AUTH_HEADER = '-H "Authorization: Bearer $TOKEN"';
const READ_TOKEN =
  '-u "workshop:$SECRET" -d grant_type=client_credentials -d scope=read:user "$API/oauth/token"';

/** The hardened headers, lower-cased and sorted, as one line (empty when none is sent). */
const HEADERS_ON_THE_API =
  `$CURL $MTLS -D - -o /dev/null ${AUTH_HEADER} "$API/users?limit=1" | tr -d '\\r' | tr 'A-Z' 'a-z' \\\n` +
  "  | grep -oE '^(strict-transport-security|x-content-type-options|content-security-policy)' | sort | paste -sd ' ' -";
const HARDENED_HEADERS = 'content-security-policy strict-transport-security x-content-type-options';

/** Per workload, where its database password comes from: a literal, a Secret key, or a password file. */
const PASSWORD_SOURCES =
  '.items[] | .metadata.name + ": " + ([.. | objects | select(.name? == "PGPASSWORD" or .name? == "PGPASSFILE")\n' +
  '  | if .name == "PGPASSFILE" then "file " + .value elif has("value") then "literal"\n' +
  '    else "Secret " + .valueFrom.secretKeyRef.name end] | unique | join(", "))\n' +
  '  | select(endswith(": ") | not)';

function reconcilerRun(title: string, shows: string): Experiment {
  return {
    kind: 'job',
    title,
    cronJob: 'reconciler',
    pipe: lastLine('{ok, users: .counts.users, transactions: .counts.transactions}'),
    expect: { shows, match: /^\{"ok":true,"users":\d+,"transactions":\d+\}$/ },
    timeoutSeconds: 300,
  };
}

/** Twelve requests; fail2ban bans on the tenth refusal within a minute, then answers 429. */
function gatewayBan(title: string, request: string): Experiment {
  return {
    kind: 'shell',
    title,
    command: `for i in $(seq 12); do $GW -o /dev/null -w '%{http_code} ' ${request}; done; echo`,
    expect: {
      shows: '`403` up to ten times, then `429`: fail2ban banned your address for a minute',
      match: /^(403 ){1,10}(429 ?)+$/,
    },
    clusterOnly: GATEWAY,
  };
}

const AFTER_THE_BAN: Experiment = {
  kind: 'shell',
  title: 'a minute later the ban is over',
  command: `sleep 65; $GW -o /dev/null -w '%{http_code}\\n' ${AUTH_HEADER} "https://$HOST:9443/users?limit=1"`,
  expect: {
    shows: '`200`. Behind k3d every attendee reaches Traefik from one address: wait the minute out',
    match: /^200$/,
  },
  clusterOnly: GATEWAY,
  timeoutSeconds: 90,
};

const ITEMS: Record<number, readonly StepItem[]> = {
  0: [
    {
      kind: 'shell',
      title: 'the API answers anybody: no token needed',
      command: `$CURL "$API/users?limit=2" | jq -c '.[] | {id, credit_card, password_hash}'`,
      expect: {
        shows:
          'two users; `password_hash` is `null` and cards look like `************1234`: the API never selects the hash and masks cards itself, but it asks nobody who you are',
        match: /^\{"id":1,"credit_card":"\*{12}\d{4}","password_hash":null\}\n\{"id":2,/,
      },
    },
    {
      kind: 'shell',
      title: 'anybody may create and delete a user',
      command:
        `ID=$($CURL -X POST "$API/users" -H 'content-type: application/json' \\\n` +
        `  -d '{"username":"mallory","email":"mallory@example.com","currency":"EUR","country":"NL","credit_card":"4000000000000002"}' | jq -r .id)\n` +
        `$CURL -o /dev/null -w '%{http_code}\\n' -X DELETE "$API/users/$ID"`,
      expect: { shows: '`204`: created and deleted without saying who you are', match: /^204$/ },
    },
    {
      kind: 'get',
      title: "the database password is a literal in the pods' spec",
      what: 'deploy,job,cronjob',
      jq: PASSWORD_SOURCES,
      expect: {
        shows: '`api: literal` and `migrate: literal`: anyone who may read the Deployment knows the password',
        match: [/^api: literal$/m, /^migrate: literal$/m],
      },
    },
    {
      kind: 'shell',
      title: 'PostgreSQL takes a plaintext login with the default password',
      command: `PGPASSWORD=postgres psql "$PG user=bank_app sslmode=disable" -Atc \\\n  'select current_user, ssl from pg_stat_ssl where pid = pg_backend_pid()'`,
      expect: { shows: '`bank_app|f`: logged in, no TLS (`f`)', match: /^bank_app\|f$/ },
    },
    reconcilerRun(
      'the reconciler runs with no credential at all',
      '`{"ok":true,"users":77,"transactions":5944}` (about; the numbers are the seed data)',
    ),
  ],
  1: [
    {
      kind: 'shell',
      title: 'no token: 401, as JSON',
      command: `$CURL -w ' %{http_code}\\n' "$API/users"`,
      expect: {
        shows:
          '`{"statusCode":401,"error":"Unauthorized","message":"a valid bearer access token is required"} 401`',
        match:
          /^\{"statusCode":401,"error":"Unauthorized","message":"a valid bearer access token is required"\} 401$/,
      },
    },
    {
      kind: 'shell',
      title: 'a read-only token from /oauth/token (client credentials)',
      command: `$CURL ${READ_TOKEN} | jq -c '{token_type, scope, expires_in}'`,
      expect: {
        shows:
          '`{"token_type":"Bearer","scope":"read:user","expires_in":300}`: five minutes, reading users only',
        match: /^\{"token_type":"Bearer","scope":"read:user","expires_in":300\}$/,
      },
    },
    { kind: 'setup', command: `TOKEN=$($CURL ${READ_TOKEN} | jq -r .access_token)` },
    {
      kind: 'shell',
      title: 'the read-only token reads',
      command: `$CURL -o /dev/null -w '%{http_code}\\n' ${AUTH_HEADER} "$API/users?limit=2"`,
      expect: { shows: '`200`', match: /^200$/ },
    },
    {
      kind: 'shell',
      title: 'the read-only token may not delete (403), and nothing changed',
      command:
        `$CURL -w ' %{http_code}\\n' -X DELETE ${AUTH_HEADER} "$API/users/3"\n` +
        `$CURL -o /dev/null -w '%{http_code}\\n' ${AUTH_HEADER} "$API/users/3"`,
      expect: {
        shows:
          '`{"statusCode":403,"error":"Forbidden","message":"this request needs the scope modify:user"} 403`, then `200`: user 3 is still there',
        match:
          /^\{"statusCode":403,"error":"Forbidden","message":"this request needs the scope modify:user"\} 403\n200$/,
      },
    },
    {
      kind: 'shell',
      title: 'a broken signature: 401',
      command: `$CURL -w ' %{http_code}\\n' -H "Authorization: Bearer \${TOKEN%.*}.c2lnbmF0dXJl" "$API/users"`,
      expect: { shows: 'the same JSON 401 as without a token', match: /"statusCode":401[^\n]* 401$/ },
    },
    {
      kind: 'shell',
      title: 'the reconciler may not ask for a write scope (400 invalid_scope)',
      command: `$CURL -w ' %{http_code}\\n' -u "reconciler:$RSECRET" -d grant_type=client_credentials -d scope=modify:user "$API/oauth/token"`,
      expect: {
        shows: '`{"error":"invalid_scope",...} 400`: beyond its ceiling of read scopes',
        match: /^\{"error":"invalid_scope",[^\n]*\} 400$/,
      },
    },
    reconcilerRun(
      "the reconciler's run still succeeds, with its own read-only token",
      '`{"ok":true,...}`: it fetched a short-lived `read:user read:transaction` token first',
    ),
    {
      kind: 'shell',
      title: 'guessing client secrets is throttled (429 with Retry-After)',
      command:
        `for i in $(seq 11); do $CURL -o /dev/null -w '%{http_code} ' -u intruder:guess -d grant_type=client_credentials "$API/oauth/token"; done; echo\n` +
        `$CURL -D - -o /dev/null -u intruder:guess -d grant_type=client_credentials "$API/oauth/token" | grep -i '^retry-after'`,
      expect: {
        shows:
          'ten `401`, then `429` and a `retry-after` in seconds: the API counts failures per client id (a made-up id here, so nobody real is locked out)',
        match: /^(401 ){10}429 \nretry-after: \d+/i,
      },
    },
  ],
  2: [
    {
      kind: 'shell',
      title: "plain HTTP to the API's port gets no answer",
      command: `curl -sS -o /dev/null -w '%{http_code}\\n' "http://$API_IP:$API_PORT/"`,
      expect: { shows: '`000` and a curl error: the port speaks only TLS', match: /000/, exit: 'nonzero' },
    },
    {
      kind: 'shell',
      title: "HTTPS with the workshop CA and the Service's name",
      command: `$CURL -o /dev/null -w '%{http_code} verify=%{ssl_verify_result}\\n' "$API/"`,
      expect: {
        shows: '`404 verify=0`: a verified TLS connection (and the JSON 404 of `/`)',
        match: /^404 verify=0$/,
      },
    },
    {
      kind: 'shell',
      title: 'HTTPS to a name the certificate does not hold is refused',
      command: `curl -sS --cacert ca.crt "https://$API_IP:$API_PORT/"`,
      expect: {
        shows:
          '`curl: (60) SSL: no alternative certificate subject name matches target host name`: the certificate names the Service, never an address or `localhost`',
        match: /no alternative certificate subject name matches target host name/,
        exit: 'nonzero',
      },
    },
    {
      kind: 'shell',
      title: 'psql sslmode=disable is refused',
      command: `PGPASSWORD=postgres psql "$PG user=bank_app sslmode=disable" -c 'select 1'`,
      expect: {
        shows:
          '`FATAL:  pg_hba.conf rejects connection for host "...", user "bank_app", database "bank", no encryption`',
        match:
          /pg_hba\.conf rejects connection for host "[^"]+", user "bank_app", database "bank", no encryption/,
        exit: 'nonzero',
      },
    },
    {
      kind: 'shell',
      title: 'psql sslmode=verify-full with the workshop CA',
      command: `PGPASSWORD=postgres psql "$PG user=bank_app sslmode=verify-full sslrootcert=ca.crt" -Atc \\\n  'select ssl, version from pg_stat_ssl where pid = pg_backend_pid()'`,
      expect: {
        shows: '`t|TLSv1.3`. The password is still the workshop default until step 6 generates them',
        match: /^t\|TLSv1\.[23]$/,
      },
    },
    {
      kind: 'shell',
      title: 'verify-full to a name the certificate does not hold fails',
      command: `PGPASSWORD=postgres psql "$PG host=$PG_IP user=bank_app sslmode=verify-full sslrootcert=ca.crt" -c 'select 1'`,
      expect: {
        shows: '`server certificate for "postgres" (and 3 other names) does not match host name ...`',
        match: /server certificate for "postgres"[^\n]* does not match host name/,
        exit: 'nonzero',
      },
    },
    {
      kind: 'get',
      title: 'the API verifies its database by name and CA (verify-full)',
      what: 'deploy api',
      jq: '.spec.template.spec.containers[0].env[] | select(.name | startswith("PGSSL")) | .name + "=" + .value',
      expect: {
        shows: '`PGSSLMODE=verify-full` and `PGSSLROOTCERT=/etc/api/db-ca/ca.crt`',
        match: /^PGSSLMODE=verify-full\nPGSSLROOTCERT=\S+ca\.crt$/,
      },
    },
    reconcilerRun('the reconciler calls https://api and trusts only the workshop CA', '`{"ok":true,...}`'),
  ],
  3: [
    {
      kind: 'get',
      title: "the API's database host is the firewall",
      what: 'deploy api',
      jq: '.spec.template.spec.containers[0].env[] | select(.name == "PGHOST") | .name + "=" + .value',
      expect: {
        shows:
          '`PGHOST=jumpwire`: the API has no PostgreSQL login of its own any more, only its firewall credential',
        match: /^PGHOST=jumpwire$/,
      },
    },
    {
      kind: 'shell',
      title: 'the API answers through the firewall',
      command: `$CURL ${AUTH_HEADER} "$API/users?limit=1" | jq -c '.[0] | {id, credit_card}'`,
      expect: {
        shows:
          '`{"id":1,"credit_card":"jumpwire_AQ..."}`: JumpWire encrypted the card before the API saw it (the walk\'s local stand-in does not encrypt: there it is `************1234`)',
        match: /^\{"id":1,"credit_card":"(\*{12}\d{4}|jumpwire_[A-Za-z0-9+/=_-]+)"\}$/,
      },
    },
    {
      kind: 'shell',
      title: "the firewall's own database login is the role the stack gives it",
      command: `PGPASSWORD="$JW_PASSWORD" psql "$JW user=$JW_USER sslmode=verify-full sslrootcert=ca.crt" -Atc 'select current_user'`,
      expect: {
        shows: "`bank_firewall`: JumpWire checked the API's credential, then logged in upstream with its own",
        match: /^bank_firewall$/,
      },
    },
    {
      kind: 'shell',
      title: 'a forged firewall credential is refused',
      command: `PGPASSWORD="\${JW_PASSWORD%.*}.Zm9yZ2Vk" psql "$JW user=$JW_USER sslmode=verify-full sslrootcert=ca.crt" -c 'select 1'`,
      expect: { shows: '`ERROR:  invalid password`', match: /invalid password/, exit: 'nonzero' },
    },
    {
      kind: 'shell',
      title: 'through JumpWire card numbers come back encrypted and password hashes dropped',
      command: `PGPASSWORD="$JW_PASSWORD" psql "$JW user=$JW_USER sslmode=verify-full sslrootcert=ca.crt" -Atc \\\n  'SELECT credit_card, password_hash FROM users ORDER BY id LIMIT 1'`,
      expect: {
        shows:
          '`jumpwire_AQ...|`: ciphertext, and nothing after the `|`; the same query straight at PostgreSQL shows both',
        match: /^jumpwire_[A-Za-z0-9+/=_-]+\|$/,
      },
      clusterOnly: FIREWALL,
    },
    {
      kind: 'shell',
      title: "JumpWire's smoke test Job passed",
      command: 'kubectl -n $NS logs job/jumpwire-smoke-test | tail -n 1',
      expect: {
        shows: '`{"smokeTest":"passed","credit_card":"encrypted","password_hash":"dropped"}`',
        match: /"smokeTest":"passed"/,
      },
      clusterOnly: FIREWALL,
    },
    {
      kind: 'shell',
      title: 'only the firewall may reach PostgreSQL',
      command:
        "kubectl -n $NS exec deploy/api -- node -e \"for (const host of ['postgres', 'jumpwire']) {\n" +
        "  const socket = require('net').connect(5432, host);\n" +
        "  socket.setTimeout(3000, () => { console.log(host, 'blocked'); socket.destroy(); });\n" +
        "  socket.on('connect', () => { console.log(host, 'open'); socket.destroy(); });\n" +
        "  socket.on('error', (error) => console.log(host, error.code));\n" +
        '}"',
      expect: {
        shows:
          '`jumpwire open` and `postgres blocked`: even a compromised API pod has no path around the firewall',
        match: [/^jumpwire open$/m, /^postgres blocked$/m],
      },
      clusterOnly: POLICIES,
    },
    {
      kind: 'shell',
      title: 'the API itself sends no hardened headers yet',
      command: HEADERS_ON_THE_API,
      expect: { shows: 'an empty line (step 4 changes that)', match: /^$/ },
    },
    {
      kind: 'shell',
      title: 'the gateway redirects plain HTTP to HTTPS',
      command: `$GW -o /dev/null -w '%{http_code} %{redirect_url}\\n' "http://$HOST:9080/users"`,
      expect: { shows: '`301 https://api.dev.workshop.test/users` (or 308)', match: /^30[178] https:\/\// },
      clusterOnly: GATEWAY,
    },
    {
      kind: 'shell',
      title: 'the gateway lets a token through',
      command: `$GW -o /dev/null -w '%{http_code}\\n' ${AUTH_HEADER} "https://$HOST:9443/users?limit=1"`,
      expect: { shows: '`200`', match: /^200$/ },
      clusterOnly: GATEWAY,
    },
    {
      kind: 'shell',
      title: 'no token: the gateway refuses it (403, not 401)',
      command: `$GW -w ' %{http_code}\\n' "https://$HOST:9443/users"`,
      expect: {
        shows: '`authorization header missing 403`: the JWT plugin answers, the API never sees the request',
        match: /authorization header missing\s*403$/,
      },
      clusterOnly: GATEWAY,
    },
    {
      kind: 'shell',
      title: 'a broken token: the gateway refuses it (403)',
      command: `$GW -w ' %{http_code}\\n' -H "Authorization: Bearer \${TOKEN%.*}.c2lnbmF0dXJl" "https://$HOST:9443/users"`,
      expect: { shows: '`token validation failed 403`', match: /token validation failed\s*403$/ },
      clusterOnly: GATEWAY,
    },
    gatewayBan('ten refusals within a minute: fail2ban bans the address', '"https://$HOST:9443/users"'),
    AFTER_THE_BAN,
  ],
  4: [
    {
      kind: 'shell',
      title: 'the API itself now sends the hardened headers',
      command: HEADERS_ON_THE_API,
      expect: {
        shows: `\`${HARDENED_HEADERS}\` (step 3 showed nothing; through the gateway they were there already, Traefik adds its own)`,
        match: new RegExp(`^${HARDENED_HEADERS}$`),
      },
    },
    {
      kind: 'get',
      title: 'the API pod runs as non-root, read-only, without a service account token',
      what: 'deploy api',
      jq: '.spec.template.spec | {runAsNonRoot: .securityContext.runAsNonRoot, readOnlyRootFilesystem: .containers[0].securityContext.readOnlyRootFilesystem, automountServiceAccountToken}',
      expect: {
        shows: '`{"runAsNonRoot":true,"readOnlyRootFilesystem":true,"automountServiceAccountToken":false}`',
        match: /^\{"runAsNonRoot":true,"readOnlyRootFilesystem":true,"automountServiceAccountToken":false\}$/,
      },
    },
    {
      kind: 'shell',
      title: 'inside the API container: uid 10001, a read-only root',
      command: "kubectl -n $NS exec deploy/api -- sh -c 'id -u; touch /x'",
      expect: {
        shows: '`10001`, then `touch: /x: Read-only file system`',
        match: [/^10001$/m, /Read-only file system/],
      },
      clusterOnly: KUBELET,
    },
    {
      kind: 'shell',
      title: 'a privileged pod is refused by Pod Security',
      command: 'kubectl -n $NS run privileged --image=busybox:1.36 --privileged --restart=Never -- true',
      expect: {
        shows: '`Error from server (Forbidden): ... violates PodSecurity "restricted:v1.36": privileged ...`',
        match: /violates PodSecurity "restricted:v1\.\d+"/,
        exit: 'nonzero',
      },
      clusterOnly: POD_SECURITY,
    },
  ],
  5: [
    {
      kind: 'shell',
      title: 'a dozen DELETEs with the read-only token: the API refuses each',
      command: `for i in $(seq 12); do $CURL -o /dev/null -w '%{http_code} ' -X DELETE ${AUTH_HEADER} "$API/users/3"; done; echo`,
      expect: { shows: 'twelve `403`', match: /^(403 ){11}403$/ },
    },
    {
      kind: 'logs',
      title: 'each refusal is an audit line in the log',
      workload: 'deploy/api',
      pipe:
        `grep '"audit":true' | grep '"outcome":"denied"' | grep 'DELETE /users/:id' \\\n` +
        "  | jq -cs '{denied: length, last: (last | {action, actor, target, outcome, reason})}'",
      expect: {
        shows:
          '`{"denied":12,"last":{"action":"authorize","actor":"workshop","target":"DELETE /users/:id","outcome":"denied","reason":"missing scope modify:user"}}` (12, more if you tried before)',
        match:
          /^\{"denied":(1[2-9]|[2-9]\d|\d{3,}),"last":\{"action":"authorize","actor":"workshop","target":"DELETE \/users\/:id","outcome":"denied","reason":"missing scope modify:user"\}\}$/,
      },
    },
    gatewayBan(
      'the same through the gateway: the API refuses, then fail2ban bans',
      `-X DELETE ${AUTH_HEADER} "https://$HOST:9443/users/3"`,
    ),
    {
      kind: 'shell',
      title: 'Prometheus fires ApiAuthFailureBurst and GatewayRefusalBurst',
      command:
        'for i in $(seq 40); do\n' +
        '  firing=$(curl -s localhost:9090/api/v1/alerts | jq -r \'[.data.alerts[] | select(.state == "firing") | .labels.alertname] | unique | join(" ")\')\n' +
        '  case "$firing" in *ApiAuthFailureBurst*GatewayRefusalBurst*) break ;; esac; sleep 5\n' +
        'done; echo "$firing"',
      expect: {
        shows:
          "within about two minutes the list holds `ApiAuthFailureBurst` and `GatewayRefusalBurst` (Prometheus' Alerts page shows them firing)",
        match: [/ApiAuthFailureBurst/, /GatewayRefusalBurst/],
      },
      clusterOnly: MONITORING,
      timeoutSeconds: 240,
    },
    {
      kind: 'shell',
      title: "Loki has the API's denials",
      command:
        'for i in $(seq 20); do\n' +
        '  n=$(curl -sG localhost:3100/loki/api/v1/query_range --data-urlencode since=15m --data-urlencode \\\n' +
        '    "query={namespace=\\"$NS\\", container=\\"api\\"} | json | audit=\\"true\\" | outcome=\\"denied\\"" \\\n' +
        "    | jq '[.data.result[].values[]] | length')\n" +
        '  [ "${n:-0}" -ge 12 ] && break; sleep 5\n' +
        'done; echo "$n"',
      expect: {
        shows:
          'a number of 12 or more; in Grafana (Explore, Loki) the query `{namespace="workshop-dev", container="api"} | json | audit="true" | outcome="denied"` lists them',
        match: /^(1[2-9]|[2-9]\d|\d{3,})$/,
      },
      clusterOnly: MONITORING,
      timeoutSeconds: 150,
    },
    AFTER_THE_BAN,
  ],
  6: [
    {
      kind: 'shell',
      title: 'without a client certificate the API refuses the TLS connection',
      command: `$CURL -o /dev/null -w '%{http_code}\\n' "$API/users"`,
      expect: {
        shows: 'a curl error (`alert certificate required` or a reset) and `000`',
        match: /000/,
        exit: 'nonzero',
      },
    },
    {
      kind: 'shell',
      title: "with the reconciler's certificate it answers",
      command: `$CURL $MTLS -o /dev/null -w '%{http_code}\\n' ${AUTH_HEADER} "$API/users?limit=1"`,
      expect: { shows: '`200`', match: /^200$/ },
    },
    {
      kind: 'shell',
      title: 'through the gateway the same request still works',
      command: `$GW -o /dev/null -w '%{http_code}\\n' ${AUTH_HEADER} "https://$HOST:9443/users?limit=1"`,
      expect: { shows: '`200`: Traefik presents its own client certificate to the API', match: /^200$/ },
      clusterOnly: GATEWAY,
    },
    reconcilerRun('the reconciler presents its certificate and succeeds', '`{"ok":true,...}`'),
    {
      kind: 'shell',
      title: 'the old default password is refused on the same database',
      command: `PGPASSWORD=postgres psql "$PG user=bank_app sslmode=verify-full sslrootcert=ca.crt" -c 'select 1'`,
      expect: {
        shows:
          '`FATAL:  password authentication failed for user "bank_app"`: the roles container changed the passwords of the database step 0 created',
        match: /password authentication failed for user "bank_app"/,
        exit: 'nonzero',
      },
    },
    {
      kind: 'shell',
      title: 'the generated password works',
      command: `PGPASSWORD="$APP_PASSWORD" psql "$PG user=bank_app sslmode=verify-full sslrootcert=ca.crt" -Atc 'select current_user'`,
      expect: { shows: '`bank_app`', match: /^bank_app$/ },
    },
    {
      kind: 'get',
      title: 'no database password is a literal any more',
      what: 'deploy,job,cronjob',
      jq: PASSWORD_SOURCES,
      expect: {
        shows:
          '`api: file /etc/postgresql-client/pgpass`, `migrate: file ...`, `backup: file ...`: every one a password file mounted from a Secret (compare step 0)',
        match: [/^api: (file|Secret) \S+$/m, /^migrate: (file|Secret) \S+$/m, /^backup: (file|Secret) \S+$/m],
        absent: /literal/,
      },
    },
    {
      kind: 'job',
      title: 'an encrypted backup',
      cronJob: 'backup',
      pipe: lastLine('{ok, file: (.file | split("/") | last), tables: (.tables | keys)}'),
      expect: {
        shows:
          '`{"ok":true,"file":"backup-<time>.swbk","tables":["transactions","users"]}`: a dump over verify-full TLS, encrypted (AES-256-GCM) with the generated key',
        match: /^\{"ok":true,"file":"backup-\d{8}T\d+Z\.swbk","tables":\["transactions","users"\]\}$/,
      },
      timeoutSeconds: 300,
    },
    {
      kind: 'job',
      title: 'the restore check restores it and compares',
      cronJob: 'restore-check',
      pipe: lastLine('{ok, tables: [.tables[] | {table, match}]}'),
      expect: {
        shows:
          '`{"ok":true,"tables":[{"table":"users","match":true},{"table":"transactions","match":true}]}`',
        match:
          /^\{"ok":true,"tables":\[\{"table":"users","match":true\},\{"table":"transactions","match":true\}\]\}$/,
      },
      timeoutSeconds: 300,
    },
  ],
};

const API_SERVICE_PORTS = { http: { local: 8080, remote: 80 }, https: { local: 8443, remote: 443 } };
const PG_FORWARD = 15432;
const JW_FORWARD = 15433;

function secretFromCluster(name: string, key: string): string {
  return `$(kubectl -n $NS get secret ${name} -o jsonpath='{.data.${key.replace(/\./g, '\\.')}}' | base64 -d)`;
}

/** The setup lines of a step: what it needs given its controls, the same shape for every step. */
export function bindingsFor(controls: readonly ControlId[]): Binding[] {
  const on = controlSet(controls);
  const tls = on.has('tls-in-transit');
  const api = API_SERVICE_PORTS[tls ? 'https' : 'http'];
  const scheme = tls ? 'https' : 'http';
  const bindings: Binding[] = [
    {
      kind: 'cluster',
      command: 'kill $(jobs -p) 2>/dev/null; true',
      comment: "the previous step's port-forwards",
    },
    { kind: 'forward', namespace: '$NS', service: 'api', ports: `${api.local}:${api.remote}` },
    { kind: 'forward', namespace: '$NS', service: 'postgres', ports: `${PG_FORWARD}:5432` },
  ];
  if (on.has('db-firewall'))
    bindings.push({ kind: 'forward', namespace: '$NS', service: 'jumpwire', ports: `${JW_FORWARD}:5432` });
  if (on.has('observability')) {
    bindings.push(
      {
        kind: 'forward',
        namespace: 'monitoring',
        service: 'kube-prometheus-stack-prometheus',
        ports: '9090:9090',
        clusterOnly: true,
      },
      { kind: 'forward', namespace: 'monitoring', service: 'loki', ports: '3100:3100', clusterOnly: true },
    );
  }
  if (tls || on.has('db-tls'))
    bindings.push({
      kind: 'file',
      file: 'ca.crt',
      cluster: 'pulumi stack output --stack $STACK caCertPem',
      local: (facts) => facts.configMap('workshop-ca', 'ca.crt'),
      comment: 'the workshop CA',
    });
  bindings.push(
    {
      kind: 'var',
      name: 'API',
      cluster: `${scheme}://api.$NS.svc:${api.local}`,
      local: (facts) => `${scheme}://api.${facts.namespace}.svc`,
    },
    { kind: 'var', name: 'API_IP', cluster: '127.0.0.1', local: (facts) => facts.serviceIp('api') },
    {
      kind: 'var',
      name: 'API_PORT',
      cluster: String(api.local),
      local: (facts) => String(facts.servicePort('api')),
    },
    {
      kind: 'var',
      name: 'CURL',
      cluster: `"curl -sS${tls ? ' --cacert ca.crt' : ''} --resolve api.$NS.svc:${api.local}:127.0.0.1"`,
      local: () => `curl -sS${tls ? ' --cacert ca.crt' : ''}`,
      comment: "curl that dials the Service's name",
    },
    {
      kind: 'var',
      name: 'PG',
      cluster: `"host=postgres.$NS.svc hostaddr=127.0.0.1 port=${PG_FORWARD} dbname=bank"`,
      local: (facts) => `host=postgres.${facts.namespace}.svc dbname=bank`,
    },
    { kind: 'var', name: 'PG_IP', cluster: '127.0.0.1', local: (facts) => facts.serviceIp('postgres') },
  );
  if (on.has('db-firewall')) {
    bindings.push(
      {
        kind: 'var',
        name: 'JW',
        cluster: `"host=jumpwire.$NS.svc hostaddr=127.0.0.1 port=${JW_FORWARD} dbname=bank"`,
        local: (facts) => `host=jumpwire.${facts.namespace}.svc dbname=bank`,
      },
      {
        kind: 'var',
        name: 'JW_USER',
        cluster: secretFromCluster('jumpwire-client-api', 'username'),
        local: (facts) => facts.secret('jumpwire-client-api', 'username'),
        comment: "the API's firewall credential",
      },
      {
        kind: 'var',
        name: 'JW_PASSWORD',
        cluster: secretFromCluster('jumpwire-client-api', 'password'),
        local: (facts) => facts.secret('jumpwire-client-api', 'password'),
      },
    );
  }
  if (on.has('authn-jwt')) {
    bindings.push(
      {
        kind: 'var',
        name: 'SECRET',
        cluster: '$(pulumi stack output --stack $STACK workshopClientSecret --show-secrets)',
        local: (facts) => facts.workshopClientSecret(),
        comment: 'your OAuth client `workshop`',
      },
      {
        kind: 'var',
        name: 'RSECRET',
        cluster: secretFromCluster('reconciler-oauth', 'client-secret'),
        local: (facts) => facts.secret('reconciler-oauth', 'client-secret'),
        comment: "the reconciler's",
      },
    );
  }
  if (on.has('mtls-internal')) {
    bindings.push(
      {
        kind: 'file',
        file: 'reconciler.crt',
        cluster: secretFromCluster('reconciler-tls', 'tls.crt').slice(2, -1),
        local: (facts) => facts.secret('reconciler-tls', 'tls.crt'),
        comment: "the reconciler's client certificate",
      },
      {
        kind: 'file',
        file: 'reconciler.key',
        cluster: secretFromCluster('reconciler-tls', 'tls.key').slice(2, -1),
        local: (facts) => facts.secret('reconciler-tls', 'tls.key'),
      },
      {
        kind: 'var',
        name: 'MTLS',
        cluster: '"--cert reconciler.crt --key reconciler.key"',
        local: () => '--cert reconciler.crt --key reconciler.key',
      },
    );
  } else {
    bindings.push({
      kind: 'var',
      name: 'MTLS',
      cluster: '',
      local: () => '',
      comment: 'no client certificate yet',
    });
  }
  if (on.has('generated-secrets')) {
    bindings.push({
      kind: 'var',
      name: 'APP_PASSWORD',
      cluster: secretFromCluster('postgres-credentials', 'app-password'),
      local: (facts) => facts.secret('postgres-credentials', 'app-password'),
    });
  }
  if (on.has('api-gateway')) {
    bindings.push(
      { kind: 'cluster', command: 'HOST=$(pulumi stack output --stack $STACK gatewayHost)' },
      {
        kind: 'cluster',
        command:
          'GW="curl -sS --cacert ca.crt --resolve $HOST:9443:127.0.0.1 --resolve $HOST:9080:127.0.0.1"',
        comment: 'the gateway, through the k3d ports',
      },
    );
  }
  if (on.has('authn-jwt') && tls) {
    bindings.push({
      kind: 'shell',
      command: `TOKEN=$($CURL $MTLS ${READ_TOKEN} | jq -r .access_token)`,
      comment: 'a read-only token',
    });
  }
  return bindings;
}

/** Every step of the path, start first, with its bindings and items. */
export function scenarios(): StepScenario[] {
  const steps = [
    { number: 0, stack: START_STACK },
    ...GUIDE_STEPS.map(({ number, stack }) => ({ number, stack })),
  ];
  return steps.map(({ number, stack }) => ({
    number,
    stack,
    bindings: bindingsFor(controlsAtStep(number)),
    items: ITEMS[number] ?? [],
  }));
}
