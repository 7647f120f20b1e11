/** `{ "<operator>": { "jwt:<claim>": ["value", ...] } }`: operators and keys ANDed, values ORed. */
export type Condition = Record<string, Record<string, string[]>>;

/** A registered token issuer (`JwtIssuer` spec). */
export interface JwtIssuerSpec {
  iss: string;
  aud: string[];
  issInternal?: string;
  tokenExpiry?: string;
}

/** One statement of a Policy. */
export interface PolicyStatement {
  sid: string;
  effect: string;
  action: string[];
  resource: string[];
  condition?: Condition;
}

export interface PolicySpec {
  statement: PolicyStatement[];
}

export interface RoleSpec {
  policy?: string[];
  principal?: Record<string, string[]>;
  condition?: Condition;
}

/** A named IAM object as loaded from a manifest. */
export interface IamObject<K extends string, S> {
  kind: K;
  name: string;
  namespace: string;
  spec: S;
  /** `file#document` the object came from (for error messages). */
  source: string;
}

export type JwtIssuerObject = IamObject<"JwtIssuer", JwtIssuerSpec>;
export type PolicyObject = IamObject<"Policy", PolicySpec>;
export type RoleObject = IamObject<"Role", RoleSpec>;

/** A core v1 ServiceAccount (namespace + name). */
export interface ServiceAccountObject {
  name: string;
  namespace: string;
  source: string;
}

/** Everything loaded from the manifests. */
export interface IamManifests {
  issuers: JwtIssuerObject[];
  policies: PolicyObject[];
  roles: RoleObject[];
  serviceAccounts: ServiceAccountObject[];
}

/** The condition operators of https://docs.openfaas.com/openfaas-pro/iam/overview/; `StringEquals` is the docs' spelling of the examples' `StringEqual`. */
export const CONDITION_OPERATORS = ["StringEqual", "StringEquals", "StringEqualIgnoreCase", "StringLike", "ForAnyValue:StringEqual"] as const;

/** Every action the IAM docs list (https://docs.openfaas.com/openfaas-pro/iam/overview/), plus the documented wildcards. */
export const KNOWN_ACTIONS = [
  "Function:Get", "Function:Create", "Function:Update", "Function:Delete", "Function:List", "Function:Logs",
  "Function:Scale", "Function:Invoke", "Secret:List", "Secret:Create", "Secret:Update", "Secret:Delete",
  "Namespace:List", "Namespace:Get", "Namespace:Create", "Namespace:Update", "Namespace:Delete", "System:Info",
] as const;
