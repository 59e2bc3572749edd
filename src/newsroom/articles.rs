//! The stories of the simulated newsroom (The Port Alder Courier) and their revisions.
//!
//! All text here is invented. Each story starts as first published (revision 0); an edited
//! story has exactly one later revision, described as a list of operations on revision 0 so
//! that everything the edit does not touch stays byte-for-byte the same.

use crate::diff::EditKind;

/// How a story's page is marked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// `<article>` with `<h1>`, `<time>` and `<p>` paragraphs.
    Semantic,
    /// A div-only CMS template: `<div class="story-body">`, inline ad and "Read more" inserts.
    StoryBody,
}

/// One published state of a story.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Version {
    pub headline: String,
    pub paragraphs: Vec<String>,
    /// RFC 3339.
    pub modified: &'static str,
}

/// A story and all its versions.
#[derive(Debug, Clone)]
pub(crate) struct Story {
    pub slug: &'static str,
    pub section: &'static str,
    pub author: &'static str,
    pub author_bio: &'static str,
    /// Standfirst used for the front page, the feed and meta descriptions.
    pub dek: &'static str,
    /// RFC 3339.
    pub published: &'static str,
    pub layout: Layout,
    /// Only appears (front page, feed, its own URL) from round 1 on.
    pub new_in_round_1: bool,
    /// Minutes ago the story sat at when the site started, for the "Most read" box.
    pub most_read_minutes: u64,
    pub versions: Vec<Version>,
}

/// An edit the site publishes: which story moves to its revision 1.
#[derive(Debug, Clone)]
pub(crate) struct EditDef {
    pub slug: &'static str,
    pub description: &'static str,
    pub kinds: &'static [EditKind],
}

enum Op {
    /// Insert a paragraph before the paragraph at this index of revision 0.
    InsertBefore(usize, &'static str),
    Append(&'static str),
    Remove(usize),
    /// Replace a substring in every paragraph.
    Replace(&'static str, &'static str),
}

struct Revision {
    headline: Option<&'static str>,
    modified: Option<&'static str>,
    ops: Vec<Op>,
}

struct Def {
    slug: &'static str,
    section: &'static str,
    author: &'static str,
    author_bio: &'static str,
    dek: &'static str,
    published: &'static str,
    modified: &'static str,
    layout: Layout,
    new_in_round_1: bool,
    most_read_minutes: u64,
    headline: &'static str,
    paragraphs: &'static [&'static str],
    revision: Option<Revision>,
}

fn apply(base: &Version, rev: &Revision) -> Version {
    // Inserts are positioned against revision 0; apply them back to front.
    let mut slots: Vec<Option<String>> = base.paragraphs.iter().cloned().map(Some).collect();
    let mut inserts: Vec<(usize, &str)> = Vec::new();
    let mut appended: Vec<&str> = Vec::new();
    for op in &rev.ops {
        match op {
            Op::InsertBefore(i, p) => inserts.push((*i, p)),
            Op::Append(p) => appended.push(p),
            Op::Remove(i) => slots[*i] = None,
            Op::Replace(from, to) => {
                for p in slots.iter_mut().flatten() {
                    *p = p.replace(from, to);
                }
            }
        }
    }
    let mut out = Vec::new();
    for (i, slot) in slots.into_iter().enumerate() {
        out.extend(inserts.iter().filter(|(at, _)| *at == i).map(|(_, p)| p.to_string()));
        out.extend(slot);
    }
    out.extend(appended.into_iter().map(str::to_string));
    Version {
        headline: rev.headline.unwrap_or(&base.headline).to_string(),
        paragraphs: out,
        modified: rev.modified.unwrap_or(base.modified),
    }
}

/// The edits, in demo order.
pub(crate) fn edits() -> Vec<EditDef> {
    vec![
        EditDef {
            slug: "dockworkers-ratify-deal-ending-port-strike",
            description: "Two paragraphs of reactions added, with an editor's note; dateModified moves",
            kinds: &[EditKind::EditorsNote, EditKind::Addition],
        },
        EditDef {
            slug: "council-library-budget-vote",
            description: "Headline softened from \"slashes\" to \"trims\"; body unchanged",
            kinds: &[EditKind::Headline],
        },
        EditDef {
            slug: "route-9-fog-pileup",
            description: "Casualty count quietly changed from 12 to 9; no note, dateModified unchanged",
            kinds: &[EditKind::Fact, EditKind::Unannounced],
        },
        EditDef {
            slug: "riverside-housing-plan-advances",
            description: "A paragraph quoting an unnamed developer removed",
            kinds: &[EditKind::Removal],
        },
        EditDef {
            slug: "lincoln-elementary-reading-scores",
            description: "Correction appended and the principal's name fixed in the body",
            kinds: &[EditKind::EditorsNote, EditKind::Correction],
        },
    ]
}

/// All stories, newest first.
pub(crate) fn stories() -> Vec<Story> {
    defs()
        .into_iter()
        .map(|d| {
            let first = Version {
                headline: d.headline.to_string(),
                paragraphs: d.paragraphs.iter().map(|p| p.to_string()).collect(),
                modified: d.modified,
            };
            let mut versions = vec![first];
            if let Some(rev) = &d.revision {
                let next = apply(&versions[0], rev);
                versions.push(next);
            }
            Story {
                slug: d.slug,
                section: d.section,
                author: d.author,
                author_bio: d.author_bio,
                dek: d.dek,
                published: d.published,
                layout: d.layout,
                new_in_round_1: d.new_in_round_1,
                most_read_minutes: d.most_read_minutes,
                versions,
            }
        })
        .collect()
}

fn defs() -> Vec<Def> {
    vec![
        Def {
            slug: "ferry-service-expands-to-gull-island",
            section: "Local",
            author: "Priya Natarajan",
            author_bio: "Priya Natarajan covers transportation and the waterfront for the Courier. She previously reported for the Tidewater Sun.",
            dek: "A second boat and later sailings start next month, the transit agency said.",
            published: "2025-06-12T11:05:00-04:00",
            modified: "2025-06-12T11:05:00-04:00",
            layout: Layout::Semantic,
            new_in_round_1: true,
            most_read_minutes: 4,
            headline: "Ferry service to Gull Island to add second boat and evening sailings",
            paragraphs: &[
                "PORT ALDER - Commuters and summer visitors to Gull Island will get a second ferry and three new evening sailings starting July 7, the Port Alder Transit Authority announced Thursday.",
                "The expansion, approved by the authority's board in a 6-1 vote, will cost about $2.3 million a year, most of it covered by a U.S. Department of Transportation grant awarded in March.",
                "\"For years people have told us the last boat at 6:15 p.m. simply doesn't work,\" said Marcus Bell, the authority's executive director. \"If you work a normal shift downtown, you miss it.\"",
                "The second vessel, the MV Heron, is a 149-passenger catamaran leased from a ferry operator in Maine. It will run alongside the 40-year-old Osprey, which carried about 410,000 riders last year.",
                "Island residents have long complained about crowding on summer weekends, when cars sometimes wait two or three sailings to board. The Heron carries passengers only, which officials said would free up deck space on the Osprey for vehicles.",
                "Fares will not change. A one-way adult ticket remains $4.50, and island residents with a permit ride for $2.",
                "Dolores Finch, who chairs the Gull Island Civic Association, called the news \"long overdue\" but said she would watch whether the authority keeps the schedule through the winter. \"We've seen pilot programs come and go,\" she said.",
            ],
            revision: None,
        },
        Def {
            slug: "dockworkers-ratify-deal-ending-port-strike",
            section: "Business",
            author: "Daniel Okafor",
            author_bio: "Daniel Okafor is the Courier's labor and economy reporter. He has covered the Port of Port Alder since 2017.",
            dek: "Union members approved a six-year contract by a wide margin; cranes could be moving again by Friday.",
            published: "2025-06-12T07:40:00-04:00",
            modified: "2025-06-12T07:40:00-04:00",
            layout: Layout::Semantic,
            new_in_round_1: false,
            most_read_minutes: 12,
            headline: "Dockworkers ratify deal ending 11-day port strike",
            paragraphs: &[
                "PORT ALDER - Dockworkers at the Port of Port Alder voted overwhelmingly Wednesday night to ratify a six-year contract, ending an 11-day strike that left more than 30 container ships idling offshore and snarled freight across the Northeast.",
                "Members of Local 1422 of the International Longshore Workers Union approved the agreement 1,184 to 212, according to a tally released shortly after 11 p.m. at the union hall on Front St.",
                "The contract raises base pay by 31 percent over six years and, crucially for the union, bars the terminal operators from adding fully automated cranes at the North Terminal before 2029.",
                "\"This was never only about wages,\" said Teresa Vance, the local's president. \"It was about whether there will still be jobs on this waterfront for our kids.\"",
                "The Harbor Terminal Operators Association, which bargains for the three companies that run the port's terminals, said in a statement that the deal was \"fair, expensive and necessary.\"",
                "Economists had warned that a longer walkout could cost the regional economy as much as $90 million a day. Retailers said some back-to-school shipments were already running about two weeks late.",
                "Work is expected to resume on the day shift Friday, although the backlog of ships at anchor could take most of the month to clear, port officials said.",
            ],
            revision: Some(Revision {
                headline: None,
                modified: Some("2025-06-12T10:15:00-04:00"),
                ops: vec![
                    Op::InsertBefore(
                        6,
                        "Mayor Helen Marsh's office welcomed the vote. \"The whole city has been holding its breath for eleven days,\" said Jorge Ibarra, the mayor's chief of staff. \"Tonight both sides did the right thing, and we intend to make sure the port comes back stronger.\"",
                    ),
                    Op::InsertBefore(
                        6,
                        "The Port Alder Port Authority said it would extend gate hours to 10 p.m. through June 30 to help truckers clear the backlog. \"We expect most of the ships at anchor to be berthed within three weeks,\" said Raymond Cho, the authority's chief operating officer.",
                    ),
                    Op::Append(
                        "Editor's note: This article was updated to include reactions from the mayor's office and the port authority.",
                    ),
                ],
            }),
        },
        Def {
            slug: "council-library-budget-vote",
            section: "Politics",
            author: "Grace Whitfield",
            author_bio: "Grace Whitfield covers City Hall for the Courier. Before joining the paper she was a statehouse reporter for the Associated Press.",
            dek: "The 5-4 vote shifts $1.2 million from the library system to police overtime and road repair.",
            published: "2025-06-12T06:30:00-04:00",
            modified: "2025-06-12T06:30:00-04:00",
            layout: Layout::StoryBody,
            new_in_round_1: false,
            most_read_minutes: 27,
            headline: "City Council slashes library budget in late-night vote",
            paragraphs: &[
                "The Port Alder City Council voted 5-4 early Thursday to cut the public library system's budget by $1.2 million, or about 14 percent, after more than four hours of public comment that stretched past 1 a.m.",
                "Under the plan, the Eastside and Mill Creek branches will close on Sundays and Mondays starting in September, and the main library's evening hours will end at 6 p.m. instead of 8 p.m.",
                "The money will go to police overtime and to a road repair fund that council members said had been shortchanged for a decade. \"Potholes are a public safety issue too,\" said Councilman Frank DeLuca, who proposed the shift.",
                "Library supporters packed the chamber, many holding signs that read \"Books Not Potholes.\" Of the 63 people who spoke, 58 opposed the cut.",
                "\"Mill Creek is the only place in my neighborhood with free internet and air conditioning,\" said Maria Esposito, a retired teacher. \"You are closing it on the two days it is busiest.\"",
                "Library Director Samuel Park said the system would try to avoid layoffs by leaving six open positions unfilled. He said he had not been consulted on the final numbers.",
                "Mayor Helen Marsh has 10 days to sign or veto the budget. A spokeswoman said Thursday that the mayor was \"reviewing the council's changes carefully.\"",
            ],
            revision: Some(Revision {
                headline: Some("City Council trims library budget in late-night vote"),
                modified: Some("2025-06-12T09:02:00-04:00"),
                ops: vec![],
            }),
        },
        Def {
            slug: "route-9-fog-pileup",
            section: "Local",
            author: "Miguel Santos",
            author_bio: "Miguel Santos is a breaking news reporter for the Courier. He covers public safety, courts and the weather, often before sunrise.",
            dek: "Dense fog was reported along the stretch near the Alder River bridge when the first collision happened.",
            published: "2025-06-12T08:10:00-04:00",
            modified: "2025-06-12T08:55:00-04:00",
            layout: Layout::Semantic,
            new_in_round_1: false,
            most_read_minutes: 3,
            headline: "Fog blamed for pileup involving 20 vehicles on Route 9",
            paragraphs: &[
                "A chain-reaction crash involving about 20 cars and trucks closed the northbound lanes of Route 9 for nearly five hours Thursday morning, state police said.",
                "The first collision happened around 5:40 a.m. near the Alder River bridge, where drivers reported fog so thick they could barely see the car ahead. At least 12 people were taken to St. Mary's Medical Center and Port Alder General Hospital, officials said.",
                "Sgt. Dana Kowalski of the State Police said none of the injuries appeared to be life-threatening. \"Given what we saw out there, it is frankly remarkable,\" she said.",
                "A tractor-trailer carrying produce jackknifed across two lanes, and several cars behind it slid into one another, according to witnesses.",
                "\"I heard the brakes and then just bang, bang, bang,\" said Kevin Tran, 34, who was driving to an early shift at a warehouse in Millbrook. \"I couldn't see anything past my hood.\"",
                "The National Weather Service had issued a dense fog advisory for the river valley at 3 a.m. that remained in effect until 9 a.m.",
                "The northbound lanes reopened shortly before 11 a.m. The State Department of Transportation said the crash would be reviewed as part of an ongoing study of fog warning signs on the bridge approach.",
            ],
            revision: Some(Revision {
                headline: None,
                modified: None,
                ops: vec![Op::Replace("At least 12 people were taken", "At least 9 people were taken")],
            }),
        },
        Def {
            slug: "riverside-housing-plan-advances",
            section: "Local",
            author: "Aisha Rahman",
            author_bio: "Aisha Rahman writes about housing, zoning and neighborhoods for the Courier.",
            dek: "The planning board endorsed rezoning 40 acres of former rail yards for up to 1,800 homes.",
            published: "2025-06-11T19:20:00-04:00",
            modified: "2025-06-11T19:20:00-04:00",
            layout: Layout::StoryBody,
            new_in_round_1: false,
            most_read_minutes: 95,
            headline: "Planning board backs Riverside rail yard housing plan",
            paragraphs: &[
                "The Port Alder Planning Board on Wednesday endorsed a plan to rezone 40 acres of abandoned rail yards along the Alder River for as many as 1,800 apartments and townhouses, sending the proposal to the City Council for a final vote.",
                "The plan requires that 20 percent of the units be rented at prices affordable to households earning 60 percent of the area median income, or about $58,000 for a family of three.",
                "\"This is the largest piece of empty land inside city limits, and we have a housing shortage,\" said board chairwoman Ellen Hughes. \"Leaving it fenced off for another 20 years is not an option.\"",
                "Neighbors in the adjacent Riverside district raised concerns about traffic on Canal St. and about flooding, noting that parts of the site were underwater during the storms of 2021.",
                "One developer who has expressed interest in the site, speaking on condition of anonymity because talks are private, said the affordability requirement could make the project \"impossible to finance\" without a city tax break.",
                "City engineers said the plan would raise building pads about four feet and add a 2-acre stormwater park along the riverbank.",
                "The council is expected to take up the rezoning in July. If approved, construction on a first phase of about 400 units could begin in late 2026, according to the city's planning department.",
            ],
            revision: Some(Revision {
                headline: None,
                modified: Some("2025-06-12T08:40:00-04:00"),
                ops: vec![Op::Remove(4)],
            }),
        },
        Def {
            slug: "lincoln-elementary-reading-scores",
            section: "Education",
            author: "Hannah Lindqvist",
            author_bio: "Hannah Lindqvist covers schools and higher education for the Courier. She is a former middle school English teacher.",
            dek: "A tutoring program and a later start time are credited with the biggest gain in the district.",
            published: "2025-06-11T16:45:00-04:00",
            modified: "2025-06-11T16:45:00-04:00",
            layout: Layout::Semantic,
            new_in_round_1: false,
            most_read_minutes: 140,
            headline: "Lincoln Elementary posts district's biggest jump in reading scores",
            paragraphs: &[
                "Lincoln Elementary School, which three years ago had the lowest reading scores in Port Alder, posted the largest improvement in the district this spring, according to state test results released Wednesday.",
                "The share of third graders reading at grade level rose to 61 percent from 38 percent in 2022, the school district said. The district average is 55 percent.",
                "Principal Ana Ruiz-Soto credited a daily tutoring block staffed by retired teachers and college students, as well as a decision to push the school's start time to 8:45 a.m.",
                "\"Kids who are awake learn to read,\" Ruiz-Soto said. \"That sounds like a joke, but our attendance in first period went up by almost a third.\"",
                "The tutoring program, paid for with federal pandemic relief money, costs about $310,000 a year. That money runs out after the next school year, and the district has not said whether it will pick up the cost.",
                "Superintendent Dr. Lawrence Greene said he would ask the school board to study whether the Lincoln model could be used at four other elementary schools.",
                "Parents at pickup on Wednesday said they had noticed the change at home. \"He reads the cereal box to me now,\" said Tamika Jones, whose son is in second grade.",
            ],
            revision: Some(Revision {
                headline: None,
                modified: Some("2025-06-12T09:30:00-04:00"),
                ops: vec![
                    Op::Replace("Ana Ruiz-Soto", "Ana Ruiz"),
                    Op::Replace("Ruiz-Soto said", "Ruiz said"),
                    Op::Append(
                        "Correction: An earlier version of this article misstated the name of the school's principal. She is Ana Ruiz, not Ana Ruiz-Soto.",
                    ),
                ],
            }),
        },
        Def {
            slug: "farmers-market-returns-to-union-square",
            section: "Community",
            author: "Owen Gallagher",
            author_bio: "Owen Gallagher writes about food, culture and community events for the Courier.",
            dek: "The Saturday market is back after two years at a temporary site.",
            published: "2025-06-11T12:00:00-04:00",
            modified: "2025-06-11T12:00:00-04:00",
            layout: Layout::StoryBody,
            new_in_round_1: false,
            most_read_minutes: 210,
            headline: "Farmers market returns to a rebuilt Union Square",
            paragraphs: &[
                "After two years in a parking lot on the edge of downtown, the Port Alder Farmers Market will return to Union Square on Saturday, where a $9 million renovation has added shade trees, a splash pad and permanent electrical hookups for vendors.",
                "About 70 vendors have signed up for opening day, up from 52 last season, according to market manager Rosa Delgado.",
                "\"Some of our farmers have been coming to this square since the 1980s,\" Delgado said. \"For them this is homecoming.\"",
                "The market will run from 8 a.m. to 1 p.m. every Saturday through Nov. 22. A smaller Wednesday evening market is planned to begin in July.",
                "The city's Parks Department said the square's new layout was designed with the market in mind, with wider walkways and a loading zone on Elm St. so that trucks no longer have to back across the sidewalk.",
                "Vendors will again accept SNAP benefits, and a state program will match up to $20 per visit for fresh produce.",
            ],
            revision: None,
        },
        Def {
            slug: "un-talks-on-mekong-water-sharing",
            section: "World",
            author: "Claire Dubois",
            author_bio: "Claire Dubois is the Courier's world affairs correspondent. She has reported from more than 30 countries.",
            dek: "Delegates from six countries meet in Geneva as dams and drought squeeze the river.",
            published: "2025-06-11T09:15:00-04:00",
            modified: "2025-06-11T13:50:00-04:00",
            layout: Layout::StoryBody,
            new_in_round_1: false,
            most_read_minutes: 330,
            headline: "U.N.-backed talks open on sharing the drought-stricken Mekong",
            paragraphs: &[
                "GENEVA - Officials from the six countries along the Mekong River opened U.N.-backed talks here on Wednesday aimed at agreeing how much water upstream dams must release during the dry season, as a third straight year of drought threatens fisheries and rice farms downstream.",
                "The river supports an estimated 60 million people. Fish catches in Cambodia's Tonle Sap lake, fed by the Mekong, have fallen by more than half in a decade, according to a report released by the U.N. Environment Programme ahead of the meeting.",
                "\"The river does not recognize borders, and neither does a drought,\" said Anja Lindholm, the U.N. official chairing the talks. \"What we need is a rulebook that everyone can see.\"",
                "Downstream countries have pushed for real-time data on reservoir levels at the dozen large dams on the river's upper reaches. Upstream governments have said the dams help regulate the river by storing water in the rainy season and releasing it when levels fall.",
                "The U.S. and the European Union are attending as observers. A State Department spokesman in Washington said the U.S. supported \"transparent, science-based management of the river.\"",
                "Analysts cautioned against expecting a binding agreement this week. \"Success here is a shared data platform and a date for the next round,\" said Dr. Vo Thi Hanh, a hydrologist at a research institute in Ho Chi Minh City.",
                "The talks are scheduled to run through Friday.",
            ],
            revision: None,
        },
        Def {
            slug: "forecasters-predict-busy-hurricane-season",
            section: "Weather",
            author: "Miguel Santos",
            author_bio: "Miguel Santos is a breaking news reporter for the Courier. He covers public safety, courts and the weather, often before sunrise.",
            dek: "Warm ocean water could fuel as many as 21 named storms, federal forecasters said.",
            published: "2025-06-10T14:30:00-04:00",
            modified: "2025-06-10T14:30:00-04:00",
            layout: Layout::Semantic,
            new_in_round_1: false,
            most_read_minutes: 480,
            headline: "Forecasters predict an above-normal Atlantic hurricane season",
            paragraphs: &[
                "Federal forecasters said Tuesday that the Atlantic hurricane season, which began June 1, is likely to be busier than normal, with 16 to 21 named storms, of which six to 10 could become hurricanes.",
                "The National Oceanic and Atmospheric Administration put the chance of an above-normal season at 60 percent, citing record-warm water in parts of the Atlantic and the expected end of El Nino conditions in the Pacific.",
                "An average season produces 14 named storms and seven hurricanes, three of them major, meaning Category 3 or stronger.",
                "\"It only takes one storm to make it a bad year for your community,\" said Dr. Rebecca Linden, a NOAA meteorologist. \"Now is the time to check your evacuation zone, not when a storm is two days away.\"",
                "Port Alder's Office of Emergency Management said it would hold preparedness fairs in each of the city's five districts this month and would mail updated evacuation maps to about 42,000 households in low-lying neighborhoods.",
                "Coastal towns in the region are still repairing damage from Hurricane Delia, which came ashore as a Category 1 storm last September and caused an estimated $340 million in losses across the state.",
            ],
            revision: None,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_touch_distinct_stories_with_one_revision_each() {
        let stories = stories();
        let edits = edits();
        for e in &edits {
            let s = stories.iter().find(|s| s.slug == e.slug).expect("edited story exists");
            assert_eq!(s.versions.len(), 2, "{}", e.slug);
            assert_ne!(s.versions[0], s.versions[1], "{}", e.slug);
            assert!(!s.new_in_round_1);
        }
        let mut slugs: Vec<_> = edits.iter().map(|e| e.slug).collect();
        slugs.sort();
        slugs.dedup();
        assert_eq!(slugs.len(), 5);
        assert!(stories.iter().filter(|s| s.versions.len() == 1 && !s.new_in_round_1).count() >= 2);
        for s in &stories {
            assert!((5..=9).contains(&s.versions[0].paragraphs.len()), "{}", s.slug);
        }
    }

    #[test]
    fn revisions_do_what_they_say() {
        let stories = stories();
        let get = |slug: &str| stories.iter().find(|s| s.slug == slug).unwrap().versions.clone();

        let v = get("dockworkers-ratify-deal-ending-port-strike");
        assert_eq!(v[1].paragraphs.len(), v[0].paragraphs.len() + 3);
        assert!(v[1].paragraphs.last().unwrap().starts_with("Editor's note: This article was updated"));
        assert_ne!(v[0].modified, v[1].modified);

        let v = get("council-library-budget-vote");
        assert_eq!(v[0].paragraphs, v[1].paragraphs);
        assert_eq!(v[1].headline, "City Council trims library budget in late-night vote");

        let v = get("route-9-fog-pileup");
        assert_eq!(v[0].modified, v[1].modified);
        assert_eq!(v[0].headline, v[1].headline);
        let changed: Vec<_> = v[0].paragraphs.iter().zip(&v[1].paragraphs).filter(|(a, b)| a != b).collect();
        assert_eq!(changed.len(), 1);
        assert!(changed[0].1.contains("At least 9 people"));

        let v = get("riverside-housing-plan-advances");
        assert_eq!(v[1].paragraphs.len(), v[0].paragraphs.len() - 1);
        assert!(!v[1].paragraphs.iter().any(|p| p.contains("anonymity")));

        let v = get("lincoln-elementary-reading-scores");
        assert!(v[0].paragraphs.iter().any(|p| p.contains("Ruiz-Soto said")));
        let body = v[1].paragraphs[..v[1].paragraphs.len() - 1].join("\n");
        assert!(!body.contains("Ruiz-Soto"), "{body}");
        assert!(v[1].paragraphs.last().unwrap().starts_with("Correction: An earlier version"));
    }
}
