// What several deployables must agree on: infra, the policy pack, the apps and the tools import it;
// it imports none of them.
export {
  CONTROLS,
  CONTROL_IDS,
  ControlsError,
  OWASP_TITLES,
  controlSet,
  getControl,
  isControlId,
  requirementsOf,
  resolveControls,
  withRequirements,
} from './controls';
export type { Control, ControlId, ControlSet, OwaspCategory } from './controls';
export {
  END_STACK,
  GUIDE_ORDER,
  GUIDE_STEPS,
  LAST_STEP,
  START_STACK,
  StepError,
  checkGuideSteps,
  controlsAtStep,
  stepStacks,
} from './steps';
export type { GuideStep } from './steps';
export { SCOPES, isScope } from './scopes';
export type { Scope } from './scopes';
export { AUDIT_ACTIONS, AUDIT_FIELDS, AUDIT_OUTCOMES, METRIC_NAMES } from './signals';
export type { AuditAction, AuditOutcome } from './signals';
export {
  ALL_SCOPES,
  API_PORTS,
  DEFAULT_JWT_ISSUER,
  JWT_AUDIENCE,
  OAUTH_CLIENTS,
  RECONCILER_SCOPES,
  SCOPE_DESCRIPTIONS,
} from './api';
