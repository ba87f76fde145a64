import { href, type PropertyOwner } from '../../domain/index.js';
import type { Principal, Services } from '../../services/index.js';
import { EMBEDDED_PROPERTIES, container } from '../presenters/property.presenter.js';

/** The `Properties` section a full resource response embeds (spec 5.4): its first page by Name. */
export async function propertiesOf(
  services: Services,
  principal: Principal,
  owner: PropertyOwner,
  id: string,
) {
  const page = await services.properties.listOf(principal, owner, id, {
    offset: 0,
    limit: EMBEDDED_PROPERTIES,
    sortBy: 'Name',
    sortDir: 'Asc',
  });
  return { Properties: container(page, href(owner, id)) };
}
