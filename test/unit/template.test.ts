// template.yaml checked without AWS: every resource type and property exists in the
// CloudFormation and SAM resource specifications (@aws-cdk/aws-service-spec), the required
// ones are set, and every !Ref and !GetAtt names something the template defines.
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import { describe, expect, it } from 'vitest';
import { loadTemplate } from '../fixtures/template.ts';

const template = loadTemplate();
const spec = loadAwsServiceSpecSync();

function specFor(type: string) {
  return spec.lookup('resource', 'cloudFormationType', 'equals', type)[0];
}

/** Every `{ '!Ref': … }` and `{ '!GetAtt': … }` anywhere under `value`. */
function references(value: unknown, found: { tag: string; target: string }[] = []) {
  if (Array.isArray(value)) for (const item of value) references(item, found);
  else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if ((key === '!Ref' || key === '!GetAtt') && typeof inner === 'string')
        found.push({ tag: key, target: inner });
      else references(inner, found);
    }
  }
  return found;
}

/** CloudFormation's own parameters, always there to !Ref. */
const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::Region',
  'AWS::Partition',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

describe('template.yaml against the resource specifications', () => {
  it.each(Object.entries(template.Resources))(
    '%s is a known type with known properties, required ones set',
    (_name, resource) => {
      const definition = specFor(resource.Type);

      expect(definition, `${resource.Type} is not in the CloudFormation or SAM specification`).toBeDefined();
      const known = Object.keys(definition!.properties);
      expect(Object.keys(resource.Properties ?? {}).filter((property) => !known.includes(property))).toEqual(
        [],
      );
      const required = Object.entries(definition!.properties)
        .filter(([, property]) => property.required)
        .map(([property]) => property);
      expect(required.filter((property) => !(property in (resource.Properties ?? {})))).toEqual([]);
    },
  );

  it('refers only to resources, attributes and parameters it defines', () => {
    const parameters = new Set(Object.keys(template.Parameters ?? {}));
    const unresolved = references({ Resources: template.Resources, Outputs: template.Outputs }).filter(
      ({ tag, target }) => {
        if (tag === '!Ref')
          return !(target in template.Resources) && !parameters.has(target) && !PSEUDO_PARAMETERS.has(target);
        const [name, ...attribute] = target.split('.');
        const resource = template.Resources[name!];
        if (!resource) return true;
        const attributes = Object.keys(specFor(resource.Type)?.attributes ?? {});
        // SAM resources expand into CloudFormation ones; their attributes (Arn) are the function's.
        return resource.Type.startsWith('AWS::Serverless::')
          ? attribute.join('.') !== 'Arn' && attribute.join('.') !== 'Name'
          : !attributes.includes(attribute.join('.'));
      },
    );

    expect(unresolved).toEqual([]);
  });
});
