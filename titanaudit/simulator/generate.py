"""A synthetic ServiceTitan tenant of a US contractor, with known truth.

:func:`generate_tenant` builds customers, locations, contacts, leads and bookings in
ServiceTitan's record shapes (API.md §4) around one metro area, using real ZIP codes, cities and
coordinates from the ``zipcodes`` package and names and streets from Faker's word lists. Into
that it plants what a real contractor's data holds:

- duplicate customers of the kinds in the research catalogue §4.1 (nicknames, typos,
  "Last, First", street abbreviations, missing units, phone formats, pairs sharing only phone and
  name, a shared e-mail, web bookings that became a second customer), some already merged in
  ServiceTitan (``active=false``, ``mergedToId`` set);
- hard negatives that look alike but are different people: households (spouses at one address),
  namesakes (a group of them sharing a common name, with e-mails spelling it at different
  providers), landlord and tenant, a "New Homeowner" placeholder owning many sold homes and the
  past owners' contacts on them (a hub), property managers whose office phone sits on many
  residents;
- data-quality problems of §4.2-4.7 (see :mod:`titanaudit.simulator.problems`).

Everything planted is written into ``tenant.truth``. The same spec and seed give the same tenant.
"""

from __future__ import annotations

from titanaudit.simulator.activity import add_bookings, add_leads
from titanaudit.simulator.builder import Builder, TenantSpec
from titanaudit.simulator.negatives import plant_negatives
from titanaudit.simulator.problems import plant_problems
from titanaudit.simulator.tenant import Tenant

__all__ = ["TenantSpec", "generate_tenant", "populate"]


def generate_tenant(spec: TenantSpec | None = None) -> Tenant:
    """Generate a tenant with planted duplicates, hard negatives and problems (see module doc)."""
    spec = spec or TenantSpec()
    builder = Builder(spec)
    populate(builder)
    plant_problems(builder)
    builder.finish()
    return builder.tenant


def populate(builder: Builder) -> None:
    """Build the tenant's people (customers, duplicates, hard negatives), then their leads and
    bookings; the problems are planted after (:func:`plant_problems`), by the caller."""
    base = builder.build()
    plant_negatives(builder, base)
    add_leads(builder, base)
    add_bookings(builder, base)
